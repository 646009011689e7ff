import { DomainException } from '@gad/platform';

export enum IdentityErrorCode {
  UserNotFound = 'user_not_found',
  AgencyNotFound = 'agency_not_found',
  UsernameTaken = 'username_taken',
  EmailTaken = 'email_taken',
  SelfModification = 'self_modification_refused',
  CurrentPasswordIncorrect = 'current_password_incorrect',
  MfaAlreadyEnrolled = 'mfa_already_enrolled',
  MfaNotStarted = 'mfa_not_started',
  MfaCodeIncorrect = 'mfa_code_incorrect',
  SessionNotFound = 'session_not_found',
}

export class IdentityException extends DomainException {
  static userNotFound(id: string): IdentityException {
    return new IdentityException(IdentityErrorCode.UserNotFound, 404, `User ${id} does not exist`);
  }

  static agencyNotFound(): IdentityException {
    return new IdentityException(
      IdentityErrorCode.AgencyNotFound,
      404,
      'The agency of this token is not registered',
    );
  }

  static taken(field: 'username' | 'email'): IdentityException {
    return new IdentityException(
      field === 'username' ? IdentityErrorCode.UsernameTaken : IdentityErrorCode.EmailTaken,
      409,
      `This ${field === 'username' ? 'username' : 'e-mail address'} is already in use`,
      { errors: [{ pointer: `/body/${field}`, message: 'already in use', code: 'taken' }] },
    );
  }

  static selfModification(what: string): IdentityException {
    return new IdentityException(
      IdentityErrorCode.SelfModification,
      409,
      `An administrator cannot ${what} their own account`,
    );
  }

  static currentPasswordIncorrect(): IdentityException {
    return new IdentityException(
      IdentityErrorCode.CurrentPasswordIncorrect,
      403,
      'The current password is not correct',
    );
  }

  static mfaAlreadyEnrolled(): IdentityException {
    return new IdentityException(
      IdentityErrorCode.MfaAlreadyEnrolled,
      409,
      'TOTP is already set up for this account; an administrator can reset it',
    );
  }

  static mfaNotStarted(): IdentityException {
    return new IdentityException(
      IdentityErrorCode.MfaNotStarted,
      409,
      'Start the TOTP enrolment (POST /v1/me/mfa/totp) before confirming it',
    );
  }

  static mfaCodeIncorrect(): IdentityException {
    return new IdentityException(
      IdentityErrorCode.MfaCodeIncorrect,
      422,
      'The code does not match the authenticator (check the device clock)',
      {
        errors: [{ pointer: '/body/code', message: 'does not match', code: 'mfa_code_incorrect' }],
      },
    );
  }

  static sessionNotFound(id: string): IdentityException {
    return new IdentityException(
      IdentityErrorCode.SessionNotFound,
      404,
      `Session ${id} is not a live session of yours`,
    );
  }
}
