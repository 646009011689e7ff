import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { pointInputSchema, pointSchema } from '../geo/geojson.schema';
import { incidentPrioritySchema, incidentSchema, incidentStatusSchema } from './incidents.schema';

/** How a call reached the centre. */
export const callChannelSchema = z.enum(['phone', 'radio', 'app', 'alarm']);
export type CallChannel = z.infer<typeof callChannelSchema>;

/** An incident type code of the agency's catalogue (`structure_fire`, `traffic.collision`). */
export const incidentTypeCodeSchema = text()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lowercase letters, digits, "_", "." or "-"');

/**
 * `POST /v1/calls` (call taker): a call as it is taken, before or without an incident. At least
 * one of `locationText` or `location` says where.
 */
export const createCallRequestSchema = z
  .strictObject({
    channel: callChannelSchema,
    callerName: text().trim().min(1).max(200).optional(),
    /** Number to call back (E.164 or local digits, spaces, dashes, parentheses). */
    callbackNumber: text()
      .trim()
      .regex(/^\+?[0-9][0-9 ()-]{1,30}$/, 'a telephone number')
      .optional(),
    locationText: text().trim().min(1).max(500).optional(),
    location: pointInputSchema.optional(),
    /** When the call was answered (default: now). */
    receivedAt: timestamp().optional(),
    /** The incident type the caller describes (a code of the agency's catalogue or free text). */
    incidentType: text().trim().min(1).max(64).optional(),
    description: text().trim().min(1).max(4000).optional(),
  })
  .refine((value) => value.location !== undefined || value.locationText !== undefined, {
    message: 'say where: location, locationText or both',
  });
export type CreateCallRequest = z.infer<typeof createCallRequestSchema>;

/** An open incident near a new call, of the same type, created within the agency's window. */
export const callDuplicateCandidateSchema = z.object({
  incidentId: z.uuid(),
  type: text(),
  status: incidentStatusSchema,
  distanceM: num(),
  createdAt: timestamp(),
});
export type CallDuplicateCandidate = z.infer<typeof callDuplicateCandidateSchema>;

export const callSchema = z.object({
  id: z.uuid(),
  agencyId: text(),
  channel: callChannelSchema,
  callerName: text().nullable(),
  callbackNumber: text().nullable(),
  locationText: text().nullable(),
  location: pointSchema.nullable(),
  receivedAt: timestamp(),
  incidentType: text().nullable(),
  description: text().nullable(),
  /** The incident the call is linked to (null while unlinked). */
  incidentId: z.uuid().nullable(),
  linkedAt: timestamp().nullable(),
  linkedBy: text().nullable(),
  /** True when an open incident of the same type was near in space and time at intake. */
  possibleDuplicate: z.boolean(),
  duplicateCandidates: z.array(callDuplicateCandidateSchema),
  createdBy: text(),
  createdAt: timestamp(),
});
export type Call = z.infer<typeof callSchema>;

/** `GET /v1/calls`: newest first. */
export const listCallsQuerySchema = z.strictObject({
  /** `true`: only calls not linked to an incident yet. */
  unlinked: z.enum(['true', 'false']).optional(),
  incidentId: z.uuid().optional(),
  /** Received at or after (inclusive). */
  from: timestamp().optional(),
  /** Received before (exclusive). */
  to: timestamp().optional(),
  limit: queryNumber(num().int().min(1).max(200).default(50)),
});
export type ListCallsQuery = z.infer<typeof listCallsQuerySchema>;

export const callListSchema = z.object({ items: z.array(callSchema) });
export type CallList = z.infer<typeof callListSchema>;

/** `POST /v1/calls/{id}/link`: link an unlinked call to an existing open incident. */
export const linkCallRequestSchema = z.strictObject({
  incidentId: z.uuid(),
});
export type LinkCallRequest = z.infer<typeof linkCallRequestSchema>;

/**
 * `POST /v1/calls/{id}/incident`: a new incident from an unlinked call (its point and location
 * text), linked to it. `type` defaults to the call's type; `priority` to the type's default.
 */
export const createIncidentFromCallRequestSchema = z.strictObject({
  type: text().trim().min(1).max(64).optional(),
  priority: incidentPrioritySchema.optional(),
  location: pointInputSchema.optional(),
  description: text().trim().min(1).max(4000).optional(),
});
export type CreateIncidentFromCallRequest = z.infer<typeof createIncidentFromCallRequestSchema>;

export const callWithIncidentSchema = z.object({ call: callSchema, incident: incidentSchema });
export type CallWithIncident = z.infer<typeof callWithIncidentSchema>;
