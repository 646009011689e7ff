import { DomainException } from '@gad/platform';

export enum AuthErrorCode {
  InvalidCredentials = 'invalid_credentials',
  InvalidRefreshToken = 'invalid_refresh_token',
  ReauthenticationRequired = 'reauthentication_required',
  SessionRevoked = 'session_revoked',
  AgencyRequired = 'login_agency_required',
  AgencySuspended = 'agency_suspended',
  LoginThrottled = 'login_throttled',
  SessionIdle = 'session_idle',
  InvalidMfaChallenge = 'invalid_mfa_challenge',
  InvalidMfaCode = 'invalid_mfa_code',
  MfaEnrolmentRequired = 'mfa_enrolment_required',
}

/**
 * Failures of login, refresh and session checks (401, with as little detail as is useful; 422 for
 * a login that must name its agency).
 */
export class CredentialsException extends DomainException {
  /** Same answer for an unknown login, a wrong password, a locked or a disabled account. */
  static invalidCredentials(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.InvalidCredentials,
      401,
      'The login or password is not correct, or the account cannot log in',
    );
  }

  static invalidRefreshToken(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.InvalidRefreshToken,
      401,
      'The refresh token is not valid; log in again',
    );
  }

  static reauthenticationRequired(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.ReauthenticationRequired,
      401,
      'The session is older than its maximum age; log in again',
    );
  }

  /** The login name exists in more than one agency: the request must name the agency (422). */
  static agencyRequired(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.AgencyRequired,
      422,
      'This login exists in more than one agency: name the agency (`agency`, its id)',
    );
  }

  /** Right password, but the agency is suspended by the platform operators (403). */
  static agencySuspended(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.AgencySuspended,
      403,
      'Your agency is suspended; its users cannot log in',
    );
  }

  static sessionRevoked(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.SessionRevoked,
      401,
      'The session of this token has ended',
    );
  }

  /** Too many failed attempts of this account from this source (or of this source): 429. */
  static throttled(retryAfterSeconds: number): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.LoginThrottled,
      429,
      'Too many failed login attempts; try again later',
      { extensions: { retryAfter: retryAfterSeconds } },
    );
  }

  static sessionIdle(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.SessionIdle,
      401,
      'The session was idle longer than its idle timeout; log in again',
    );
  }

  static invalidMfaChallenge(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.InvalidMfaChallenge,
      401,
      'The MFA challenge is not valid or has expired; log in again',
    );
  }

  static invalidMfaCode(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.InvalidMfaCode,
      401,
      'The code is not correct (or was already used)',
    );
  }

  /** The agency requires MFA of this user, who has not enrolled yet (403). */
  static mfaEnrolmentRequired(): CredentialsException {
    return new CredentialsException(
      AuthErrorCode.MfaEnrolmentRequired,
      403,
      'Your agency requires a second factor: set up TOTP (POST /v1/me/mfa/totp) first',
    );
  }
}
