import { CreateDispatchSchema1732250000000 } from './migrations/1732250000000-create-dispatch-schema';
import { CreateIdentity1732260000000 } from './migrations/1732260000000-create-identity';
import { CreateDispatchDomain1732270000000 } from './migrations/1732270000000-create-dispatch-domain';
import { ScopeCommandAcks1732280000000 } from './migrations/1732280000000-scope-command-acks';
import { ScopeUserNamesPerAgency1732290000000 } from './migrations/1732290000000-scope-user-names-per-agency';
import { CreatePlatformOperatorsAndAgencySettings1765050000000 } from './migrations/1765050000000-create-platform-operators-and-agency-settings';
import { CreateHazardsAndResponseTimes1765500000001 } from './migrations/1765500000001-create-hazards-and-response-times';
import { CreateCallsTypesNotes1765400000001 } from './migrations/1765400000001-create-calls-types-notes';
import { AddMfaAndIdleSessions1765200000001 } from './migrations/1765200000001-add-mfa-and-idle-sessions';
import { DropDispatchCommands1796700000000 } from './migrations/1796700000000-drop-dispatch-commands';
import { AddIncidentZones1796720000000 } from './migrations/1796720000000-add-incident-zones';

/** The schema api-gateway owns (dispatch domain, identity, `dispatch.outbox`). */
export const DISPATCH_SCHEMA = 'dispatch';

/** Migrations of the `dispatch` schema, in order. */
export const dispatchMigrations = [
  CreateDispatchSchema1732250000000,
  CreateIdentity1732260000000,
  CreateDispatchDomain1732270000000,
  ScopeCommandAcks1732280000000,
  ScopeUserNamesPerAgency1732290000000,
  CreatePlatformOperatorsAndAgencySettings1765050000000,
  AddMfaAndIdleSessions1765200000001,
  CreateCallsTypesNotes1765400000001,
  CreateHazardsAndResponseTimes1765500000001,
  DropDispatchCommands1796700000000,
  AddIncidentZones1796720000000,
];
