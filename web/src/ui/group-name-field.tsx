import { maxGroupTitleLength } from '@palaver/contracts/limits';

/** A group's name, where a group is made and where it is renamed: one label, one limit. */
export function GroupNameField(props: { value: string; onChange: (value: string) => void }) {
  return (
    <label>
      Group name
      <input
        value={props.value}
        maxLength={maxGroupTitleLength}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </label>
  );
}
