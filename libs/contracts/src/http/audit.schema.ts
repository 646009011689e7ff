import { z } from 'zod';
import {
  auditQueryFiltersSchema,
  auditQueryReplySchema,
  auditVerifyRangeSchema,
  auditVerifyReplySchema,
} from '../rpc/audit.schema';

/**
 * `GET /v1/audit` (auditors): query string and body. The gateway parses the query string with
 * {@link auditQueryParamsSchema}, adds `agencyId` and `requestedBy` from the caller and forwards it
 * unchanged as the `audit.query` RPC; the reply is the response body.
 */
export const auditQueryParamsSchema = auditQueryFiltersSchema;
export type AuditQueryParams = z.infer<typeof auditQueryParamsSchema>;
export const auditQueryResponseSchema = auditQueryReplySchema;
export type AuditQueryResponse = z.infer<typeof auditQueryResponseSchema>;

/** `GET /v1/audit/verify`: forwarded the same way as the `audit.verify` RPC. */
export const auditVerifyParamsSchema = auditVerifyRangeSchema;
export type AuditVerifyParams = z.infer<typeof auditVerifyParamsSchema>;
export const auditVerifyResponseSchema = auditVerifyReplySchema;
export type AuditVerifyResponse = z.infer<typeof auditVerifyResponseSchema>;
