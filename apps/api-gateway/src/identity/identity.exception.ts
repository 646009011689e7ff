import { DomainException } from '@gad/platform';

export enum IdentityErrorCode {
  UserNotFound = 'user_not_found',
  AgencyNotFound = 'agency_not_found',
  UsernameTaken = 'username_taken',
  EmailTaken = 'email_taken',
  SelfModification = 'self_modification_refused',
  CurrentPasswordIncorrect = 'current_password_incorrect',
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
}
