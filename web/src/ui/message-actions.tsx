import { type ReactNode, type RefObject, useEffect, useId, useRef, useState } from 'react';
import { quickReactions } from './message-reactions.tsx';
import { moveFocus } from './roving-focus.ts';
import { useDismiss } from './use-dismiss.ts';

type MenuView = 'actions' | 'reactions';

/** Whether a message's action menu is open, which part of it, and the button it belongs to. */
export function useActionMenu() {
  const [view, setView] = useState<MenuView | null>(null);
  const [focus, setFocus] = useState<'first' | 'last'>('first');
  const trigger = useRef<HTMLButtonElement>(null);
  return {
    view,
    focus,
    trigger,
    open: (at: 'first' | 'last' = 'first') => {
      setFocus(at);
      setView('actions');
    },
    showReactions: () => {
      setFocus('first');
      setView('reactions');
    },
    close: (refocus = false) => {
      setView(null);
      if (refocus) trigger.current?.focus();
    },
  };
}

type ActionMenu = ReturnType<typeof useActionMenu>;

/**
 * One "More actions" button per message (shown on hover or focus; a long press opens it on
 * touch) and its menu: React (a row of quick emoji), Reply, Reply in thread, and on one's
 * own messages Edit and Delete. The menu button pattern: Enter, Space or ↓ open it at the first item, ↑ at the
 * last; arrows, Home and End move; Escape closes and returns to the button.
 */
export function MessageActions(props: {
  menu: ActionMenu;
  mine: boolean;
  canEdit: boolean;
  busy: boolean;
  onReact: (emoji: string) => void;
  /** Absent where a message cannot be quoted from. */
  onReply?: (() => void) | undefined;
  /** Absent inside a thread (its composer replies there). */
  onReplyInThread?: (() => void) | undefined;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const { menu } = props;
  const box = useRef<HTMLDivElement>(null);
  const menuId = useId();
  useDismiss(box, menu.view !== null, () => menu.close());
  const then = (action: () => void) => () => {
    menu.close(true);
    action();
  };
  return (
    <div className="message-actions" ref={box}>
      <button
        ref={menu.trigger}
        type="button"
        className="more-actions"
        aria-label="More actions"
        title="More actions"
        aria-haspopup="menu"
        aria-expanded={menu.view !== null}
        aria-controls={menu.view ? menuId : undefined}
        disabled={props.busy}
        onClick={() => (menu.view ? menu.close() : menu.open())}
        onKeyDown={(event) => {
          if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
          event.preventDefault();
          menu.open(event.key === 'ArrowDown' ? 'first' : 'last');
        }}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {menu.view === 'actions' && (
        <Menu id={menuId} label="Message actions" menu={menu}>
          <ActionItems {...props} then={then} />
        </Menu>
      )}
      {menu.view === 'reactions' && (
        <Menu id={menuId} label="Choose a reaction" menu={menu} horizontal>
          {quickReactions.map((emoji) => (
            <MenuItem key={emoji} label={`React with ${emoji}`} onSelect={then(() => props.onReact(emoji))}>
              {emoji}
            </MenuItem>
          ))}
        </Menu>
      )}
    </div>
  );
}

/** The menu's items: what one may do with this message. */
function ActionItems(
  props: Parameters<typeof MessageActions>[0] & { then: (action: () => void) => () => void },
) {
  const { menu, then } = props;
  return (
    <>
      <MenuItem label="React" popup onSelect={menu.showReactions}>
        React…
      </MenuItem>
      {props.onReply && (
        <MenuItem label="Reply" onSelect={then(props.onReply)}>
          Reply
        </MenuItem>
      )}
      {props.onReplyInThread && (
        <MenuItem label="Reply in thread" onSelect={then(props.onReplyInThread)}>
          Reply in thread
        </MenuItem>
      )}
      {props.mine && props.canEdit && (
        <MenuItem label="Edit message" onSelect={then(props.onEdit)}>
          Edit
        </MenuItem>
      )}
      {props.mine && (
        <MenuItem label="Delete message" onSelect={then(props.onDelete)}>
          Delete
        </MenuItem>
      )}
    </>
  );
}

const itemSelector = '[role="menuitem"]';

/** A menu popup: focus goes to its first (or last) item and stays on screen; keys move it. */
function Menu(props: {
  id: string;
  label: string;
  menu: ActionMenu;
  horizontal?: boolean;
  children: ReactNode;
}) {
  const { menu, horizontal = false } = props;
  const list = useRef<HTMLDivElement>(null);
  useMenuFocus(list, menu.focus, menu.view);
  return (
    <div
      ref={list}
      id={props.id}
      role="menu"
      aria-label={props.label}
      aria-orientation={horizontal ? 'horizontal' : 'vertical'}
      className={`action-menu${horizontal ? ' horizontal' : ''}`}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          menu.close(true);
        } else if (event.key === 'Tab') menu.close();
        else {
          const count = list.current?.querySelectorAll(itemSelector).length ?? 1;
          moveFocus(event, list.current, itemSelector, horizontal ? count : 1);
        }
      }}
    >
      {props.children}
    </div>
  );
}

function useMenuFocus(list: RefObject<HTMLDivElement | null>, at: 'first' | 'last', view: MenuView | null) {
  useEffect(() => {
    if (!view) return;
    const items = list.current?.querySelectorAll<HTMLElement>(itemSelector);
    const target = at === 'first' ? items?.[0] : items?.[items.length - 1];
    target?.focus();
    // The newest message's menu would open below the fold: bring it into view.
    list.current?.scrollIntoView?.({ block: 'nearest' });
  }, [list, at, view]);
}

function MenuItem(props: { label: string; popup?: boolean; onSelect: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      role="menuitem"
      tabIndex={-1}
      aria-label={props.label}
      aria-haspopup={props.popup ? 'menu' : undefined}
      onClick={props.onSelect}
    >
      {props.children}
    </button>
  );
}
