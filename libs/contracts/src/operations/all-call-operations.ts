import { z } from 'zod';
import { allCallSchema, createAllCallRequestSchema } from '../http/all-calls.schema';
import { defineOperation } from './define-operation';

/** Who sends all-calls and reads their reports. */
const ALL_CALLERS = ['dispatcher', 'supervisor', 'admin'] as const;

/** All-calls: a message to every on-duty unit of the agency, with each unit's acknowledgements. */
export const allCallOperations = {
  createAllCall: defineOperation({
    operationId: 'createAllCall',
    method: 'POST',
    path: '/v1/all-calls',
    summary:
      'Send a message to every on-duty unit of the agency, or of those inside one zone (one ' +
      'command per unit, acknowledged and escalated like a dispatch command; progress on ' +
      '/dispatch as command.acknowledged)',
    tag: 'all-calls',
    roles: ALL_CALLERS,
    body: createAllCallRequestSchema,
    success: { status: 201, schema: allCallSchema, description: 'The all-call as issued' },
    errors: [404, 422],
    idempotent: true,
  }),
  getAllCall: defineOperation({
    operationId: 'getAllCall',
    method: 'GET',
    path: '/v1/all-calls/{id}',
    summary: 'An all-call with each unit’s delivered, seen, accepted or declined stage',
    tag: 'all-calls',
    roles: ALL_CALLERS,
    params: z.strictObject({ id: z.uuid() }),
    success: { status: 200, schema: allCallSchema, description: 'The all-call report' },
    errors: [404],
  }),
};
