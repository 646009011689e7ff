import { CreateDispatchSchema1732250000000 } from './migrations/1732250000000-create-dispatch-schema';

/** Migrations of the `dispatch` schema, in order. */
export const dispatchMigrations = [CreateDispatchSchema1732250000000];
