import type { Call, CallReceivedV1 } from '@gad/contracts';
import type { CallRow } from './calls.repository';

export function toCall(row: CallRow): Call {
  return {
    id: row.id,
    agencyId: row.agency_id,
    channel: row.channel,
    callerName: row.caller_name,
    callbackNumber: row.callback_number,
    locationText: row.location_text,
    location:
      row.lon === null || row.lat === null
        ? null
        : { type: 'Point', coordinates: [Number(row.lon), Number(row.lat)] },
    receivedAt: new Date(row.received_at).toISOString(),
    incidentType: row.incident_type,
    description: row.description,
    incidentId: row.incident_id,
    linkedAt: row.linked_at ? new Date(row.linked_at).toISOString() : null,
    linkedBy: row.linked_by,
    possibleDuplicate: row.duplicate_candidates.length > 0,
    duplicateCandidates: row.duplicate_candidates,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toCallReceivedV1(call: Call): CallReceivedV1 {
  return {
    callId: call.id,
    channel: call.channel,
    receivedAt: call.receivedAt,
    ...(call.location ? { location: call.location } : {}),
    ...(call.locationText ? { locationText: call.locationText } : {}),
    ...(call.incidentType ? { incidentType: call.incidentType } : {}),
    duplicateOf: call.duplicateCandidates.map((candidate) => candidate.incidentId),
  };
}
