import { z } from 'zod';
import { roleSchema, sessionTokensSchema } from '../http/auth.schema';
import {
  confirmTotpRequestSchema,
  mfaStatusSchema,
  mfaVerifyRequestSchema,
  recoveryCodesSchema,
  sessionIdParamsSchema,
  sessionListSchema,
  totpEnrolmentSchema,
} from '../http/mfa.schema';
import { defineOperation } from './define-operation';

/** Every role of an agency's users (platform operators have no MFA or sessions here). */
const ALL_ROLES = roleSchema.options;

/**
 * Multi-factor authentication (TOTP) and sessions (docs/adr/0023): the second login step, the
 * caller's own enrolment and sessions, and the admin's reset of a user's MFA and sessions.
 */
export const identityOperations = {
  verifyMfa: defineOperation({
    operationId: 'verifyMfa',
    method: 'POST',
    path: '/v1/auth/mfa',
    summary:
      'Second login step: the challenge token of the login and a TOTP or one-time recovery code',
    tag: 'auth',
    roles: 'public',
    body: mfaVerifyRequestSchema,
    success: { status: 200, schema: sessionTokensSchema, description: 'Session tokens' },
    errors: [401, 422, 429],
  }),
  getMyMfa: defineOperation({
    operationId: 'getMyMfa',
    method: 'GET',
    path: '/v1/me/mfa',
    summary:
      'Whether the caller has TOTP, how many recovery codes are left, whether policy requires MFA',
    tag: 'users',
    roles: ALL_ROLES,
    success: { status: 200, schema: mfaStatusSchema, description: 'MFA status' },
  }),
  enrolTotp: defineOperation({
    operationId: 'enrolTotp',
    method: 'POST',
    path: '/v1/me/mfa/totp',
    summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI (confirm it with a code)',
    tag: 'users',
    roles: ALL_ROLES,
    success: { status: 201, schema: totpEnrolmentSchema, description: 'The unconfirmed secret' },
    errors: [409],
  }),
  confirmTotp: defineOperation({
    operationId: 'confirmTotp',
    method: 'POST',
    path: '/v1/me/mfa/totp/confirm',
    summary: 'Confirm TOTP with a current code: returns the one-time recovery codes',
    tag: 'users',
    roles: ALL_ROLES,
    body: confirmTotpRequestSchema,
    success: { status: 200, schema: recoveryCodesSchema, description: 'Recovery codes' },
    errors: [404, 409, 422],
  }),
  resetUserMfa: defineOperation({
    operationId: 'resetUserMfa',
    method: 'DELETE',
    path: '/v1/users/{id}/mfa',
    summary: 'Remove a user’s TOTP and recovery codes (their sessions end; they enrol again)',
    tag: 'users',
    roles: ['admin'],
    params: z.strictObject({ id: z.uuid() }),
    success: { status: 204, schema: undefined, description: 'Reset' },
    errors: [404, 422],
  }),
  listMySessions: defineOperation({
    operationId: 'listMySessions',
    method: 'GET',
    path: '/v1/me/sessions',
    summary: 'The caller’s live sessions (devices and consoles logged in)',
    tag: 'users',
    roles: ALL_ROLES,
    success: { status: 200, schema: sessionListSchema, description: 'Live sessions' },
  }),
  endMySession: defineOperation({
    operationId: 'endMySession',
    method: 'DELETE',
    path: '/v1/me/sessions/{id}',
    summary: 'End one of the caller’s sessions (its tokens stop working, its sockets disconnect)',
    tag: 'users',
    roles: ALL_ROLES,
    params: sessionIdParamsSchema,
    success: { status: 204, schema: undefined, description: 'Ended' },
    errors: [404, 422],
  }),
  endUserSessions: defineOperation({
    operationId: 'endUserSessions',
    method: 'DELETE',
    path: '/v1/users/{id}/sessions',
    summary: 'End every session of a user of the caller’s agency',
    tag: 'users',
    roles: ['admin'],
    params: z.strictObject({ id: z.uuid() }),
    success: { status: 204, schema: undefined, description: 'Ended' },
    errors: [404, 422],
  }),
};
