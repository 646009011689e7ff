import { incidentPrioritySchema, type IncidentPriority } from '@gad/contracts';

/** The incident priorities, most urgent first, as the contracts define them. */
export const PRIORITIES: readonly IncidentPriority[] = incidentPrioritySchema.options;

/** The one priority picker: every form that chooses a priority offers the same list. */
export function PrioritySelect({
  value,
  onChange,
  name,
  testId,
}: {
  value: IncidentPriority;
  onChange: (priority: IncidentPriority) => void;
  name?: string;
  testId?: string;
}) {
  return (
    <select
      name={name}
      data-testid={testId}
      value={value}
      onChange={(e) => onChange(e.target.value as IncidentPriority)}
    >
      {PRIORITIES.map((p) => (
        <option key={p} value={p}>
          {p}
        </option>
      ))}
    </select>
  );
}
