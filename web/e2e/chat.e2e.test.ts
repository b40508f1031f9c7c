import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// The web client end to end, through the nginx edge and two gateway replicas: three people
// in three browser contexts. The steps build on each other, so they run in order in one test
// file; each waits on what a person would see, never on fixed sleeps.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const palaver = join(root, 'infra/local/palaver');
const base = process.env.PALAVER_EDGE ?? 'http://127.0.0.1:8080';
// `pnpm screenshots` refreshes the README's pictures; ordinary runs keep theirs out of git.
const screenshots = process.env.PALAVER_SCREENSHOTS_DIR ?? join(tmpdir(), 'palaver-e2e-screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const wait = { timeout: 20_000 };

const run = Date.now().toString(36);
type Person = { username: string; displayName: string };
/** Someone new to this run: `alice` signs up as alice_<run>, shown as "Alice <run>". */
const person = (name: string): Person => ({
  username: `${name}_${run}`,
  displayName: `${name.charAt(0).toUpperCase()}${name.slice(1)} ${run}`,
});
const alice = person('alice');
const bob = person('bob');
const carol = person('carol');
const password = 'correct horse battery';

let startedStack = false;
let browser: Browser;
/** Every browser context a test opened, closed when it ends. */
const contexts: BrowserContext[] = [];

async function edgeAnswers(): Promise<boolean> {
  try {
    return (await fetch(`${base}/`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  startedStack = !(await edgeAnswers());
  // Idempotent: starts what is missing and (re)builds web/dist, which the edge serves.
  execFileSync(palaver, ['up', '--detach'], { cwd: root, stdio: 'inherit', timeout: 540_000 });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  const html = await (await fetch(`${base}/`)).text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  // Under `nosniff` a browser runs the app only if the edge labels its scripts correctly.
  expect(script).toBeDefined();
  expect((await fetch(`${base}${script}`)).headers.get('content-type')).toMatch(/javascript/);
  mkdirSync(screenshots, { recursive: true });
});

// Here rather than at the end of each test, so a failing test leaves no browser open either.
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  if (startedStack) execFileSync(palaver, ['down'], { cwd: root, stdio: 'inherit', timeout: 120_000 });
});

async function open(
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: base });
  contexts.push(context);
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => console.error(`page error (${viewport.width}px): ${error.message}`));
  await page.goto('/');
  return { context, page };
}

async function register(page: Page, who: Person) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Display name').fill(who.displayName);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'New chat' }).waitFor(wait);
}

/** A new browser (a desktop unless told) where `who` has just created an account. */
async function signedIn(who: Person, viewport?: { width: number; height: number }) {
  const opened = await open(viewport);
  await register(opened.page, who);
  return opened;
}

/** New chat, find `who`, and wait until the conversation with them is open. */
async function startDirectChat(page: Page, who: Person) {
  await page.getByRole('button', { name: 'New chat' }).click();
  await pick(page, 'Find a person', who);
  await page.getByRole('heading', { name: who.displayName, level: 2 }).waitFor(wait);
}

async function send(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

const bodies = (page: Page, text: string) => page.locator('.message-body', { hasText: text });
const mine = (page: Page, text: string) => page.locator('li.message.mine', { hasText: text });
/** Sending, sent, delivered, read or failed: what my message says of itself. */
const statusOf = (page: Page, text: string) => mine(page, text).getAttribute('data-status');
const conversationButton = (page: Page, title: string) =>
  page
    .getByRole('navigation', { name: 'Conversation list' })
    .getByRole('button', { name: new RegExp(`^${title}`) });

async function pick(page: Page, search: string, who: Person) {
  await page.getByLabel(search).fill(who.username);
  await page
    .getByRole('list', { name: 'People found' })
    .getByRole('button', { name: new RegExp(who.username) })
    .click();
}

/** Picks `item` from a message's "More actions" menu (which a desktop shows on hover). */
async function chooseAction(message: Locator, item: string) {
  await message.hover();
  await message.getByRole('button', { name: 'More actions' }).click();
  await message.getByRole('menuitem', { name: item, exact: true }).click();
}

/** The seqs of the messages on screen, checked to run 1, 2, 3… without a gap or a double. */
async function contiguousSeqs(page: Page): Promise<number[]> {
  const seqs = await page
    .locator('li.message[data-seq]')
    .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))));
  expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  return seqs;
}

/**
 * Sends messages over HTTP with the page's session (quicker than typing each). Past the
 * sender's burst the service answers 429 with Retry-After: each send waits and goes again
 * (same clientMessageId), so every one is stored.
 */
async function postMessages(page: Page, conversationId: string, texts: string[]) {
  const failed = await page.evaluate(
    async ({ conversationId, texts }) => {
      const { accessToken } = JSON.parse(localStorage.getItem('palaver.session') ?? '{}');
      const stamp = Date.now().toString(36);
      const failures: string[] = [];
      for (const [n, body] of texts.entries()) {
        for (let attempt = 0; ; attempt++) {
          const answer = await fetch(`/api/conversations/${conversationId}/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ clientMessageId: `posted-${stamp}-${n}`, body }),
          });
          if (answer.ok) break;
          if (answer.status !== 429 || attempt === 20) {
            failures.push(`${body}: ${answer.status}`);
            break;
          }
          const wait = Number(answer.headers.get('retry-after') ?? '1');
          await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0.2) * 1000));
        }
      }
      return failures;
    },
    { conversationId, texts },
  );
  expect(failed).toEqual([]);
}

/** How many messages the search service finds for the page's person. */
function searchCount(page: Page, q: string): Promise<number> {
  return page.evaluate(async (q) => {
    const { accessToken } = JSON.parse(localStorage.getItem('palaver.session') ?? '{}');
    const answer = await fetch(`/api/search?${new URLSearchParams({ q })}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return ((await answer.json()) as { results: unknown[] }).results.length;
  }, q);
}

/** An axe-core scan (WCAG 2.1 A and AA) of what the page shows now: no violation allowed. */
async function expectAccessible(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(' ')).join(' | ')}`,
  );
  expect(found, `axe on ${screen}`).toEqual([]);
}

/** A small valid PNG (a colour gradient), made here so the test needs no fixture file. */
function gradientPng(width: number, height: number): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = Math.round((x / width) * 255);
      rows[row + 2 + x * 3] = 110;
      rows[row + 3 + x * 3] = Math.round((y / height) * 255);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('web client through the edge', () => {
  it('two people chat live, share an image, a third joins a group, reloads and outages lose and double nothing', async () => {
    const a = await open();
    await a.page.screenshot({ path: join(screenshots, 'sign-in.png') });
    await register(a.page, alice);
    const b = await signedIn(bob);

    // Alice finds Bob and starts a direct chat.
    await startDirectChat(a.page, bob);
    await send(a.page, 'Hello Bob, it is Alice');
    await expect.poll(() => statusOf(a.page, 'Hello Bob'), wait).toMatch(/sent|delivered/);

    // Bob sees the conversation arrive with an unread badge, and the message live.
    await conversationButton(b.page, alice.displayName).waitFor(wait);
    await b.page.getByTestId('unread-badge').waitFor(wait);
    // A reload keeps Bob signed in; both come online for each other.
    await b.page.reload();
    await conversationButton(b.page, alice.displayName).click();
    await bodies(b.page, 'Hello Bob').waitFor(wait);
    await b.page.getByTestId('presence').getByText('online').waitFor(wait);
    await a.page.getByTestId('presence').getByText('online').waitFor(wait);

    // Alice's message was read by Bob.
    await expect.poll(() => statusOf(a.page, 'Hello Bob'), wait).toBe('read');

    // Typing shows on the other side, and the reply arrives live.
    await b.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hi Al', { delay: 30 });
    await a.page.getByText(`${bob.displayName} is typing…`).waitFor(wait);
    await b.page.getByRole('textbox', { name: 'Message' }).fill('Hi Alice!\nTwo lines, sent with Enter');
    await b.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await bodies(a.page, 'Two lines, sent with Enter').waitFor(wait);
    await expect.poll(() => statusOf(b.page, 'Hi Alice!'), wait).toBe('read');
    await a.page.getByText(`${bob.displayName} is typing…`).waitFor({ state: 'hidden', ...wait });

    // Alice sends an image; Bob sees its thumbnail (loaded from a signed link) and opens it.
    await a.page.getByTestId('file-input').setInputFiles({
      name: 'gradient.png',
      mimeType: 'image/png',
      buffer: gradientPng(480, 320),
    });
    await a.page.getByRole('list', { name: 'Attached files' }).getByText('gradient.png').waitFor(wait);
    await a.page.getByRole('button', { name: 'Send' }).click();
    const thumbnail = b.page.getByRole('img', { name: 'gradient.png' });
    await thumbnail.waitFor(wait);
    await expect
      .poll(
        () =>
          thumbnail.evaluate(
            (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth,
          ),
        wait,
      )
      .toBeGreaterThan(0);
    await b.page.getByRole('button', { name: 'Open image gradient.png' }).click();
    await b.page.getByRole('dialog', { name: 'gradient.png' }).getByRole('button', { name: 'Close' }).click();

    await a.page.screenshot({ path: join(screenshots, 'conversation.png') });

    // A third person joins a group with both.
    const c = await signedIn(carol, { width: 390, height: 780 });
    await a.page.getByRole('button', { name: 'New chat' }).click();
    await a.page.getByRole('button', { name: 'Group', exact: true }).click();
    await a.page.getByLabel('Group name').fill(`Trio ${run}`);
    await pick(a.page, 'Add members', bob);
    await pick(a.page, 'Add members', carol);
    await a.page.getByRole('button', { name: 'Create group' }).click();
    await a.page.getByRole('heading', { name: `Trio ${run}`, level: 2 }).waitFor(wait);
    await send(a.page, 'Welcome to the trio');
    await conversationButton(c.page, `Trio ${run}`).click();
    await bodies(c.page, 'Welcome to the trio').waitFor(wait);
    await send(c.page, 'Carol here, hi both');
    await bodies(a.page, 'Carol here, hi both').waitFor(wait);
    await conversationButton(b.page, `Trio ${run}`).click();
    await bodies(b.page, 'Carol here, hi both').waitFor(wait);
    await c.page.screenshot({ path: join(screenshots, 'phone-conversation.png') });
    await c.page.getByRole('button', { name: 'Back to conversations' }).click();
    await c.page.screenshot({ path: join(screenshots, 'phone-conversations.png') });

    // A long history loads page by page as Bob scrolls up, without gaps or doubles.
    const groupId = new URL(a.page.url()).hash.replace('#/c/', '');
    await postMessages(
      a.page,
      groupId,
      Array.from({ length: 80 }, (_, i) => `History line ${i + 1}`),
    );
    await b.page.reload();
    await bodies(b.page, 'History line 80').waitFor(wait);
    expect(await bodies(b.page, 'History line 1').count()).toBe(0);
    const scroller = b.page.locator('.message-scroller');
    for (let i = 0; i < 10 && (await bodies(b.page, 'Welcome to the trio').count()) === 0; i++) {
      await scroller.evaluate((element) => element.scrollTo(0, 0));
      await b.page.waitForTimeout(300);
    }
    await bodies(b.page, 'Welcome to the trio').waitFor(wait);
    expect(await contiguousSeqs(b.page)).toHaveLength(82);

    // A reload keeps the history, in order.
    await b.page.goto('/');
    await conversationButton(b.page, alice.displayName).click();
    await b.page.reload();
    await bodies(b.page, 'Hello Bob').waitFor(wait);
    await b.page.getByRole('img', { name: 'gradient.png' }).waitFor(wait);
    await expect.poll(() => b.page.locator('li.message').count(), wait).toBe(3);

    // Bob's connection drops: a banner says so, and what he writes waits in the outbox.
    await conversationButton(a.page, bob.displayName).click();
    await bodies(a.page, 'Hello Bob').waitFor(wait);
    await b.context.setOffline(true);
    await b.page.getByRole('status').getByText('You are offline').waitFor(wait);
    await send(a.page, 'While you were away 1');
    await send(a.page, 'While you were away 2');
    await send(b.page, 'Typed while offline');
    await expect.poll(() => statusOf(b.page, 'Typed while offline'), wait).toBe('pending');
    await send(a.page, 'While you were away 3');
    await expect.poll(() => statusOf(a.page, 'While you were away 3'), wait).toBe('sent');
    // Meanwhile Alice changes what Bob already holds: she edits her first message and reacts to his.
    const hello = mine(a.page, 'Hello Bob');
    await chooseAction(hello, 'Edit message');
    await hello
      .getByRole('textbox', { name: 'Edit message' })
      .fill('Hello Bob, it is Alice (edited while you were away)');
    await hello.getByRole('textbox', { name: 'Edit message' }).press('Enter');
    await bodies(a.page, 'edited while you were away').waitFor(wait);
    const reply = a.page.locator('li.message', { hasText: 'Hi Alice!' });
    await chooseAction(reply, 'React');
    await reply.getByRole('menuitem', { name: 'React with 👍' }).click();
    await reply.getByRole('button', { name: /^👍 1: you/ }).waitFor(wait);
    await b.page.screenshot({ path: join(screenshots, 'offline.png') });

    // Back online: sync by seq brings the missed messages once, and the outbox goes once.
    await b.context.setOffline(false);
    await b.page.getByText('You are offline').waitFor({ state: 'hidden', ...wait });
    for (const text of ['While you were away 1', 'While you were away 2', 'While you were away 3']) {
      await bodies(b.page, text).waitFor(wait);
    }
    await bodies(a.page, 'Typed while offline').waitFor(wait);
    // The edit and the reaction come back too (sync by change cursor), not only new messages.
    await bodies(b.page, 'edited while you were away').waitFor(wait);
    await b.page
      .locator('li.message', { hasText: 'Hi Alice!' })
      .getByRole('button', { name: new RegExp(`^👍 1: ${alice.displayName}`) })
      .waitFor(wait);
    await expect.poll(() => statusOf(b.page, 'Typed while offline'), wait).toBe('read');
    for (const page of [a.page, b.page]) {
      for (const text of [
        'While you were away 1',
        'While you were away 2',
        'While you were away 3',
        'Typed while offline',
      ]) {
        expect(await bodies(page, text).count()).toBe(1);
      }
    }
    // Seqs on screen are unique and contiguous on both sides.
    for (const page of [a.page, b.page]) await contiguousSeqs(page);
    // And after another reload the server's history agrees with what was shown live.
    await b.page.reload();
    await bodies(b.page, 'Typed while offline').waitFor(wait);
    await expect.poll(() => b.page.locator('li.message').count(), wait).toBe(7);

    // The group's owner removes Carol: the group leaves her list, and a system line says so.
    await conversationButton(a.page, `Trio ${run}`).click();
    await a.page.getByRole('button', { name: 'Members' }).click();
    const asked: string[] = [];
    a.page.on('dialog', (dialog) => asked.push(dialog.message()));
    await a.page.getByRole('button', { name: `Remove ${carol.displayName}` }).click();
    await expect.poll(() => asked, wait).toEqual([`Remove ${carol.displayName} from this group?`]);
    await a.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await a.page.locator('.system-message', { hasText: `You removed ${carol.displayName}` }).waitFor(wait);
    await conversationButton(c.page, `Trio ${run}`).waitFor({ state: 'detached', ...wait });
    await c.page.getByText(/No conversations yet/).waitFor(wait);

    // Alice renames the group, makes Bob an admin, then hands it to him; Bob sees each live.
    await a.page.getByRole('button', { name: 'Members' }).click();
    const renamed = `Duo ${run}`;
    await a.page.getByRole('textbox', { name: 'Group name' }).fill(renamed);
    await a.page.getByRole('button', { name: 'Rename' }).click();
    await conversationButton(b.page, renamed).waitFor(wait);
    await a.page.getByRole('button', { name: `Make ${bob.displayName} an admin` }).click();
    await a.page.getByRole('button', { name: `Make ${bob.displayName} the owner` }).click();
    await expect
      .poll(() => asked.at(-1), wait)
      .toBe(`Make ${bob.displayName} the owner? You will become an admin.`);
    await a.page
      .getByRole('button', { name: `Make ${bob.displayName} the owner` })
      .waitFor({ state: 'detached', ...wait });
    await a.page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await conversationButton(b.page, renamed).click();
    await b.page
      .locator('.system-message', { hasText: `${alice.displayName} made you the owner` })
      .waitFor(wait);
    await b.page.getByRole('button', { name: 'Members' }).click();
    await b.page.getByRole('button', { name: `Make ${alice.displayName} the owner` }).waitFor(wait);
    await b.page.screenshot({ path: `${screenshots}/group-owner.png` });
    await b.page.setViewportSize({ width: 390, height: 844 });
    await b.page.getByRole('button', { name: `Make ${alice.displayName} the owner` }).waitFor(wait);
    await b.page.screenshot({ path: `${screenshots}/phone-group-owner.png` });
  }, 170_000);

  it('keeps the unread badge beside a long preview, opens deep links without a false "not available", and clears the outbox at logout', async () => {
    const dave = person('dave');
    const erin = person('erin');
    const d = await signedIn(dave);
    const e = await signedIn(erin);
    await startDirectChat(d.page, erin);
    const chatUrl = d.page.url();
    for (const text of [
      'one',
      'two',
      'three',
      'See https://example.com/a/rather/long/path?with=query&and=more for the details',
    ])
      await send(d.page, text);

    // The row's time and badge stay inside the row, however long the preview.
    const row = conversationButton(e.page, dave.displayName);
    await expect.poll(() => row.getByTestId('unread-badge').textContent(), wait).toBe('4 unread');
    await expect.poll(() => e.page.title(), wait).toBe('(4) Palaver');
    // A screen reader hears the whole row: who, presence, time, the preview, the count.
    await e.page
      .getByRole('button', { name: new RegExp(`^${dave.displayName} online .+ for the details 4 unread$`) })
      .waitFor(wait);
    const rowBox = await row.boundingBox();
    const badgeBox = await row.getByTestId('unread-badge').boundingBox();
    expect(rowBox && badgeBox && badgeBox.x + badgeBox.width <= rowBox.x + rowBox.width).toBe(true);
    expect(await row.locator('.conversation-time').textContent()).toMatch(/\d{1,2}:\d{2}/);
    // Right-to-left text runs right to left and stays inside its row too.
    await send(d.page, 'مرحبا بكم جميعا، هذه رسالة طويلة بعض الشيء لتجربة الاتجاه من اليمين إلى اليسار');
    await expect.poll(() => row.getByTestId('unread-badge').textContent(), wait).toBe('5 unread');
    const preview = row.locator('.conversation-preview');
    expect(await preview.evaluate((element) => getComputedStyle(element).direction)).toBe('rtl');
    const previewBox = await preview.boundingBox();
    expect(
      previewBox &&
        rowBox &&
        previewBox.x >= rowBox.x &&
        previewBox.x + previewBox.width <= rowBox.x + rowBox.width,
    ).toBe(true);

    // A deep link shows loading until the list is known, never "not available" meanwhile.
    const deep = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
    contexts.push(deep);
    await deep.addInitScript(() => {
      new MutationObserver(() => {
        if (document.body?.textContent?.includes('not available'))
          (window as unknown as { sawUnavailable: boolean }).sawUnavailable = true;
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const session = await d.page.evaluate(() => localStorage.getItem('palaver.session'));
    await deep.addInitScript((value) => localStorage.setItem('palaver.session', value ?? ''), session);
    const linked = await deep.newPage();
    await linked.goto(chatUrl);
    await linked.getByRole('heading', { name: erin.displayName, level: 2 }).waitFor(wait);
    expect(
      await linked.evaluate(() => (window as unknown as { sawUnavailable?: boolean }).sawUnavailable),
    ).toBeFalsy();

    // Keyboard and focus: the skip link reaches the composer on a desktop; the New chat
    // dialog starts in its search box; on a phone, focus follows into a conversation and back.
    const isFocused = (locator: ReturnType<Page['getByLabel']>) =>
      locator.evaluate((element) => element === document.activeElement);
    await d.page.getByRole('button', { name: 'Skip to conversation' }).focus();
    await d.page.keyboard.press('Enter');
    await expect.poll(() => isFocused(d.page.getByRole('textbox', { name: 'Message' })), wait).toBe(true);
    await d.page.getByRole('button', { name: 'New chat' }).click();
    await expect.poll(() => isFocused(d.page.getByLabel('Find a person')), wait).toBe(true);
    await d.page.keyboard.press('Escape');
    const phone = await deep.newPage();
    await phone.setViewportSize({ width: 390, height: 780 });
    await phone.goto('/');
    await conversationButton(phone, erin.displayName).click();
    const heading = phone.getByRole('heading', { name: erin.displayName, level: 2 });
    await expect.poll(() => isFocused(heading), wait).toBe(true);
    await phone.getByRole('button', { name: 'Back to conversations' }).click();
    await expect.poll(() => isFocused(conversationButton(phone, erin.displayName)), wait).toBe(true);

    // Dark mode follows the system, and the header's toggle overrides it (and is remembered).
    const background = () =>
      d.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await background();
    await d.page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background, wait).not.toBe(light);
    const dark = await background();
    await d.page.screenshot({ path: join(screenshots, 'dark.png') });
    await d.page.getByRole('button', { name: /^Auto colour scheme/ }).click(); // → light
    await expect.poll(background, wait).toBe(light);
    await d.page.reload();
    await expect.poll(background, wait).toBe(light);
    await d.page.getByRole('button', { name: /^Light colour scheme/ }).click(); // → dark
    await expect.poll(background, wait).toBe(dark);
    await d.page.getByRole('button', { name: /^Dark colour scheme/ }).click(); // → system (dark here)
    await d.page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(background, wait).toBe(light);

    // Addresses in messages are links, opened without opener or referrer.
    await row.click();
    const link = e.page.getByRole('link', {
      name: 'https://example.com/a/rather/long/path?with=query&and=more',
    });
    await link.waitFor(wait);
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');

    // Text written offline waits in the outbox; logging out warns (accepted here) and drops it.
    await e.context.setOffline(true);
    await e.page.getByRole('status').getByText('You are offline').waitFor(wait);
    await send(e.page, 'Never to be sent');
    await expect.poll(() => statusOf(e.page, 'Never to be sent'), wait).toBe('pending');
    const warnings: string[] = [];
    e.page.on('dialog', (dialog) => warnings.push(dialog.message()));
    await e.page.getByRole('button', { name: 'Log out' }).click();
    await e.page.getByRole('button', { name: 'Create an account' }).waitFor(wait);
    await expect
      .poll(() => warnings, wait)
      .toEqual(['One message has not been sent yet and will be discarded. Log out anyway?']);
    const outboxes = await e.page.evaluate(() =>
      Object.keys(localStorage)
        .filter((key) => key.startsWith('palaver.outbox.'))
        .map((key) => localStorage.getItem(key)),
    );
    expect(outboxes.filter((value) => value !== '[]')).toEqual([]);
    await e.context.setOffline(false);
  }, 120_000);

  it('reacts, mentions, mutes and blocks, live across two browsers, at desktop and phone widths', async () => {
    const fay = person('fay');
    const gus = person('gus');
    const f = await signedIn(fay);
    const g = await signedIn(gus, { width: 390, height: 780 });
    await startDirectChat(f.page, gus);
    await send(f.page, 'Lunch at noon?');
    await conversationButton(g.page, fay.displayName).click();
    await bodies(g.page, 'Lunch at noon?').waitFor(wait);

    // Gus reacts on his phone; Fay sees it live, adds hers, and takes it back.
    const gusMessage = g.page.locator('li.message', { hasText: 'Lunch at noon?' });
    await chooseAction(gusMessage, 'React');
    await gusMessage.getByRole('menuitem', { name: 'React with 👍' }).click();
    const fayReaction = f.page
      .locator('li.message', { hasText: 'Lunch at noon?' })
      .getByRole('button', { name: new RegExp(`^👍 1: ${gus.displayName}`) });
    await fayReaction.waitFor(wait);
    await fayReaction.click();
    const fayThumb = f.page
      .locator('li.message', { hasText: 'Lunch at noon?' })
      .locator('button.reaction', { hasText: '👍' });
    await gusMessage
      .getByRole('button', { name: new RegExp(`^👍 2: you, ${fay.displayName}`) })
      .waitFor(wait);
    expect(await fayThumb.getAttribute('aria-pressed')).toBe('true');
    await f.page.screenshot({ path: join(screenshots, 'reactions.png') });
    await f.page
      .locator('li.message', { hasText: 'Lunch at noon?' })
      .getByRole('button', { name: /^👍 2/ })
      .click();
    await gusMessage.getByRole('button', { name: /^👍 1: you$/ }).waitFor(wait);

    // Gus mutes the chat: unread still shows, the tab title leaves it out; a mention still counts.
    await g.page.getByRole('button', { name: 'Mute', exact: true }).click();
    await g.page.getByRole('button', { name: 'Unmute' }).waitFor(wait);
    await g.page.getByRole('button', { name: 'Back to conversations' }).click();
    await send(f.page, 'plain news');
    const gusRow = conversationButton(g.page, fay.displayName);
    await expect.poll(() => gusRow.getByTestId('unread-badge').textContent(), wait).toBe('1 unread');
    expect(await g.page.title()).toBe('Palaver');
    await send(f.page, `@${gus.username} are you in?`);
    await expect.poll(() => g.page.title(), wait).toBe('(1) Palaver');
    await gusRow.locator('.mention-badge').waitFor(wait);
    await g.page.screenshot({ path: join(screenshots, 'phone-muted-mention.png') });
    await gusRow.click();
    await g.page.locator('li.message.mentions-me .mention-me', { hasText: `@${gus.username}` }).waitFor(wait);
    // Fay's own messages never count as unread for her.
    await f.page
      .getByRole('button', { name: 'Back to conversations' })
      .click()
      .catch(() => undefined);
    expect(await conversationButton(f.page, gus.displayName).getByTestId('unread-badge').count()).toBe(0);

    // Fay blocks Gus: his presence goes, her composer gives way to a note, his sends are refused.
    await conversationButton(f.page, gus.displayName).click();
    await f.page.getByRole('button', { name: 'Block', exact: true }).click();
    await f.page.getByText(`You blocked ${gus.displayName}. Unblock to send messages again.`).waitFor(wait);
    await send(g.page, 'can you hear me?');
    await expect.poll(() => statusOf(g.page, 'can you hear me?'), wait).toBe('failed');
    expect(await bodies(f.page, 'can you hear me?').count()).toBe(0);
    // She finds him among the people she blocked in her profile, and unblocks him there.
    await f.page.getByRole('button', { name: 'Your profile' }).click();
    const profile = f.page.getByRole('dialog', { name: 'Your profile' });
    await profile.getByRole('region', { name: 'Blocked people' }).getByText(gus.displayName).waitFor(wait);
    await profile.getByRole('button', { name: `Unblock ${gus.displayName}` }).click();
    await profile.getByRole('region', { name: 'Blocked people' }).waitFor({ state: 'detached', ...wait });
    await profile.getByRole('button', { name: 'Cancel' }).click();
    await f.page.getByRole('button', { name: 'Block', exact: true }).waitFor(wait);
    await f.page.getByRole('textbox', { name: 'Message' }).waitFor(wait);
  }, 120_000);

  it('finds a message by part of a word and in Chinese, and opens it far up the history, at desktop and phone widths', async () => {
    const lin = person('lin');
    const mei = person('mei');
    const j = await signedIn(lin);
    const k = await signedIn(mei, { width: 390, height: 844 });
    await startDirectChat(j.page, mei);
    await send(j.page, 'The internationalization review moves to Thursday');
    await send(j.page, '我们明天在北京见面');
    await expect.poll(() => statusOf(j.page, '北京'), wait).toMatch(/sent|delivered/);
    // Enough after them that both are older than the first history page.
    const conversationId = new URL(j.page.url()).hash.replace('#/c/', '');
    await postMessages(
      j.page,
      conversationId,
      Array.from({ length: 60 }, (_, n) => `Filler line ${n + 1}`),
    );
    // The index is fed by events: wait until it has them, as a person would by searching again.
    await expect.poll(() => searchCount(j.page, '北京'), wait).toBe(1);
    await expect.poll(() => searchCount(j.page, 'Filler line 60'), wait).toBe(1);
    await j.page.reload();
    await bodies(j.page, 'Filler line 60').waitFor(wait);
    expect(await bodies(j.page, 'internationalization').count()).toBe(0);

    // Lin, at a desktop: Ctrl+K, a part of a word, the hit marked, Down and Enter open it.
    await j.page.keyboard.press('Control+k');
    await j.page.getByRole('searchbox', { name: 'Search messages' }).fill('nation');
    const hits = j.page.getByRole('list', { name: 'Messages found' });
    await hits.getByRole('button', { name: /internationalization review/ }).waitFor(wait);
    expect(await hits.locator('mark').allTextContents()).toEqual(['nation']);
    await j.page.screenshot({ path: join(screenshots, 'search.png') });
    await j.page.keyboard.press('ArrowDown');
    await j.page.keyboard.press('Enter');
    const inView = (page: Page, text: string) =>
      page.locator('li.message', { hasText: text }).evaluate((row) => {
        const box = row.getBoundingClientRect();
        const pane = (row.closest('.message-scroller') as HTMLElement).getBoundingClientRect();
        return box.top >= pane.top && box.bottom <= pane.bottom;
      });
    await expect.poll(() => inView(j.page, 'internationalization review'), wait).toBe(true);
    expect(await j.page.locator('li.message[data-found]').textContent()).toContain('internationalization');
    await j.page.screenshot({ path: join(screenshots, 'search-opened.png') });
    await contiguousSeqs(j.page);
    // Escape closes it and goes nowhere: the panel's history entry is taken off, once.
    const at = j.page.url();
    await j.page.keyboard.press('Control+k');
    await j.page.getByRole('searchbox', { name: 'Search messages' }).waitFor(wait);
    await j.page.keyboard.press('Escape');
    await j.page.getByRole('searchbox', { name: 'Search messages' }).waitFor({ state: 'hidden', ...wait });
    await expect.poll(() => j.page.evaluate(() => window.history.state), wait).toBeNull();
    expect(j.page.url()).toBe(at);
    await j.page.getByRole('heading', { name: mei.displayName, level: 2 }).waitFor(wait);

    // Mei, on a phone, in the dark: the search takes the screen; Chinese words are found too.
    await k.page.emulateMedia({ colorScheme: 'dark' });
    const entry = k.page.getByRole('button', { name: /^Search messages/ });
    await entry.click();
    await k.page.getByRole('button', { name: 'Close search' }).click();
    await expect.poll(() => entry.evaluate((element) => element === document.activeElement), wait).toBe(true);
    // The browser's Back closes it too, and leaves the page where it was.
    await entry.click();
    await k.page.getByRole('searchbox', { name: 'Search messages' }).waitFor(wait);
    await k.page.goBack();
    await k.page.getByRole('searchbox', { name: 'Search messages' }).waitFor({ state: 'hidden', ...wait });
    expect(await entry.isVisible()).toBe(true);
    await entry.click();
    await k.page.getByRole('searchbox', { name: 'Search messages' }).fill('北京');
    const phoneHit = k.page
      .getByRole('list', { name: 'Messages found' })
      .getByRole('button', { name: /北京/ });
    await phoneHit.waitFor(wait);
    expect(await phoneHit.locator('mark').allTextContents()).toEqual(['北京']);
    expect(await phoneHit.textContent()).toContain(lin.displayName);
    await expectAccessible(k.page, 'search panel (phone, dark)');
    await k.page.screenshot({ path: join(screenshots, 'phone-search.png') });
    await phoneHit.click();
    await k.page.getByRole('heading', { name: lin.displayName, level: 2 }).waitFor(wait);
    await expect.poll(() => inView(k.page, '我们明天在北京见面'), wait).toBe(true);
    await k.page.screenshot({ path: join(screenshots, 'phone-search-opened.png') });
  }, 120_000);

  it('replies with a quote and in a thread, live across two browsers, at desktop and phone widths', async () => {
    const hal = person('hal');
    const ivy = person('ivy');
    const h = await signedIn(hal);
    const i = await signedIn(ivy, { width: 390, height: 844 });
    await startDirectChat(h.page, ivy);
    await send(h.page, 'Who brings the cake?');
    await conversationButton(i.page, hal.displayName).click();

    // Ivy, on her phone, quotes it from the message's menu.
    const question = i.page.locator('li.message', { hasText: 'Who brings the cake?' }).first();
    await question.waitFor(wait);
    await chooseAction(question, 'Reply');
    await i.page.getByText(`Replying to ${hal.displayName}`).waitFor(wait);
    await send(i.page, 'I will');
    const quoted = h.page
      .locator('li.message', { hasText: 'I will' })
      .getByRole('button', { name: 'In reply to You Who brings the cake?' });
    await quoted.waitFor(wait);
    expect(await i.page.getByText(`Replying to ${hal.displayName}`).count()).toBe(0);

    // Hal answers in a thread under the question; Ivy sees its summary live and opens it.
    const halQuestion = h.page.locator('li.message', { hasText: 'Who brings the cake?' }).first();
    await chooseAction(halQuestion, 'Reply in thread');
    const halThread = h.page.getByRole('complementary', { name: 'Thread' });
    await halThread.getByText('No replies yet.').waitFor(wait);
    const halReply = halThread.getByRole('textbox', { name: 'Reply in thread' });
    await halReply.fill('Chocolate, please');
    await halReply.press('Enter');
    await halThread.locator('.message-body', { hasText: 'Chocolate, please' }).waitFor(wait);
    const summary = i.page.getByRole('button', { name: /^1 reply Last reply .*, open the thread$/ });
    await summary.waitFor(wait);
    await summary.click();
    const ivyThread = i.page.getByRole('complementary', { name: 'Thread' });
    await ivyThread.locator('.message-body', { hasText: 'Chocolate, please' }).waitFor(wait);
    const ivyReply = ivyThread.getByRole('textbox', { name: 'Reply in thread' });
    await ivyReply.fill('Deal 🎂');
    await ivyReply.press('Enter');
    await halThread.locator('.message-body', { hasText: 'Deal 🎂' }).waitFor(wait);
    await h.page.getByRole('button', { name: /^2 replies Last reply .*, open the thread$/ }).waitFor(wait);
    await h.page.screenshot({ path: join(screenshots, 'thread.png') });
    await i.page.screenshot({ path: join(screenshots, 'phone-thread.png') });
    await expectAccessible(h.page, 'thread (desktop)');
    await expectAccessible(i.page, 'thread (phone)');

    // Replies are in the conversation too, each with a way to its thread; closing returns.
    await ivyThread.getByRole('button', { name: 'Close the thread' }).click();
    await i.page
      .locator('li.message', { hasText: 'Deal 🎂' })
      .getByRole('button', { name: 'Replied in a thread' })
      .waitFor(wait);
    expect(await i.page.getByRole('complementary', { name: 'Thread' }).count()).toBe(0);
  }, 120_000);

  it('sets a profile picture that a contact sees live, without reloading, at desktop and phone widths', async () => {
    const jo = person('jo');
    const kim = person('kim');
    const j = await signedIn(jo);
    const k = await signedIn(kim, { width: 390, height: 844 });
    await startDirectChat(j.page, kim);
    await send(j.page, 'A new picture is coming');
    const kimsRow = conversationButton(k.page, jo.displayName);
    await kimsRow.waitFor(wait);
    expect(await kimsRow.locator('.avatar img').count()).toBe(0);

    // Jo opens her profile from her own avatar, picks a picture, sees it previewed, saves.
    await j.page.getByRole('button', { name: 'Your profile' }).click();
    const dialog = j.page.getByRole('dialog', { name: 'Your profile' });
    await dialog
      .getByTestId('avatar-input')
      .setInputFiles({ name: 'jo.png', mimeType: 'image/png', buffer: gradientPng(300, 200) });
    await dialog.getByText('New picture: jo.png (not saved yet)').waitFor(wait);
    await dialog.locator('.avatar.large img').waitFor(wait);
    await expectAccessible(j.page, 'profile dialog');
    await j.page.screenshot({ path: join(screenshots, 'profile-dialog.png') });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached', ...wait });
    await j.page.locator('.profile-button .avatar img').waitFor(wait);

    // Kim, on his phone, sees it live: in the list, then in the conversation's header.
    const loadedWidth = (img: ReturnType<Page['locator']>) =>
      img.evaluate((element) =>
        (element as HTMLImageElement).complete ? (element as HTMLImageElement).naturalWidth : 0,
      );
    const rowPicture = kimsRow.locator('.avatar img');
    await rowPicture.waitFor(wait);
    await expect.poll(() => loadedWidth(rowPicture), wait).toBe(256); // the square thumbnail
    await k.page.screenshot({ path: join(screenshots, 'phone-avatar-list.png') });
    await expectAccessible(k.page, 'list with a picture (phone)');
    // The dialog fits a phone too.
    await k.page.getByRole('button', { name: 'Your profile' }).click();
    await k.page.getByRole('dialog', { name: 'Your profile' }).getByText('No picture').waitFor(wait);
    await k.page.screenshot({ path: join(screenshots, 'phone-profile-dialog.png') });
    await k.page.keyboard.press('Escape');
    await kimsRow.click();
    const headerPicture = k.page.locator('.conversation-header .avatar img');
    await expect.poll(() => loadedWidth(headerPicture), wait).toBe(256);
    await k.page.screenshot({ path: join(screenshots, 'phone-avatar-conversation.png') });
    await j.page.screenshot({ path: join(screenshots, 'avatar.png') });

    // She removes it; Kim is back to her initials, live.
    await j.page.getByRole('button', { name: 'Your profile' }).click();
    await dialog.getByRole('button', { name: 'Remove picture' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await headerPicture.waitFor({ state: 'detached', ...wait });
    expect(await k.page.locator('.conversation-header .avatar').textContent()).toMatch(/^J/);
  }, 120_000);

  it('passes an axe-core scan of the sign-in, list, conversation and dialog screens, light and dark, desktop and phone', async () => {
    const hana = person('hana');
    const ivo = person('ivo');
    const h = await open();
    const i = await open({ width: 390, height: 844 });
    await expectAccessible(h.page, 'sign-in');
    await register(h.page, hana);
    await register(i.page, ivo);
    await expectAccessible(h.page, 'empty list');

    await h.page.getByRole('button', { name: 'New chat' }).click();
    await h.page.getByLabel('Find a person').fill(ivo.username);
    await h.page.getByRole('list', { name: 'People found' }).getByRole('button').first().waitFor(wait);
    await expectAccessible(h.page, 'new chat dialog');
    await h.page
      .getByRole('list', { name: 'People found' })
      .getByRole('button', { name: new RegExp(ivo.username) })
      .click();
    await send(h.page, 'Checking how this reads with a screen reader');
    await conversationButton(i.page, hana.displayName).click();
    await bodies(i.page, 'Checking how this reads').waitFor(wait);
    await send(i.page, 'Loud and clear');
    await bodies(h.page, 'Loud and clear').waitFor(wait);
    await expectAccessible(h.page, 'conversation (desktop)');
    await expectAccessible(i.page, 'conversation (phone)');
    await h.page.keyboard.press('Control+k');
    await h.page.getByRole('searchbox', { name: 'Search messages' }).fill('clear');
    await h.page.getByRole('list', { name: 'Messages found' }).getByRole('button').first().waitFor(wait);
    await expectAccessible(h.page, 'search panel');
    await h.page.keyboard.press('Escape');
    await i.page.getByRole('button', { name: 'Back to conversations' }).click();
    await conversationButton(i.page, hana.displayName).waitFor(wait);
    await expectAccessible(i.page, 'list (phone)');

    for (const { page } of [h, i]) await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(h.page, 'conversation (dark)');
    await expectAccessible(i.page, 'list (phone, dark)');
  }, 120_000);
});
