import type { PlanRequirement } from '@gad/contracts';

/** What a plan line needs of a unit: its type (when named) and every capability listed. */
export function unitFits(
  requirement: PlanRequirement,
  unit: { type: string; capabilities: readonly string[] },
): boolean {
  if (requirement.unitType && requirement.unitType.toLowerCase() !== unit.type.toLowerCase()) {
    return false;
  }
  return (requirement.capabilities ?? []).every((capability) =>
    unit.capabilities.includes(capability),
  );
}

export interface MatchableUnit {
  unitId: string;
  type: string;
  capabilities: readonly string[];
}

/** How narrow a line is: a named type and each capability make it harder to fill. */
function specificity(requirement: PlanRequirement): number {
  return (requirement.unitType ? 1 : 0) + (requirement.capabilities?.length ?? 0);
}

/**
 * The order lines are filled in: the narrowest first (so "any unit" never takes the only ALS
 * ambulance an `ambulance + als` line needs), plan order among equals.
 */
export function fillOrder(plan: readonly PlanRequirement[]): number[] {
  return plan
    .map((requirement, index) => ({ index, weight: specificity(requirement) }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((line) => line.index);
}

/**
 * Counts units against a plan's lines, each unit on one line at most: per line (narrowest first),
 * the units that fit it, first come first counted, up to its `count` minus what `already` holds.
 * Returns per line (plan order) the units taken; `used` collects every unit taken.
 */
export function matchUnits<T extends MatchableUnit>(
  plan: readonly PlanRequirement[],
  units: readonly T[],
  used: Set<string> = new Set(),
  already: readonly number[] = plan.map(() => 0),
): T[][] {
  const taken: T[][] = plan.map(() => []);
  for (const index of fillOrder(plan)) {
    const requirement = plan[index];
    for (const unit of units) {
      if (taken[index].length + already[index] >= requirement.count) break;
      if (used.has(unit.unitId) || !unitFits(requirement, unit)) continue;
      used.add(unit.unitId);
      taken[index].push(unit);
    }
  }
  return taken;
}
