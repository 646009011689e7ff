import { DomainException } from '@gad/platform';

export enum AgencyErrorCode {
  AgencyNotFound = 'agency_not_found',
  AgencyConflict = 'agency_conflict',
  VersionMismatch = 'agency_settings_version_mismatch',
  PreconditionRequired = 'agency_settings_precondition_required',
  SetPasswordTokenInvalid = 'set_password_token_invalid',
}

/** Platform operations on agencies and agency settings. */
export class AgencyException extends DomainException {
  static notFound(id: string): AgencyException {
    return new AgencyException(AgencyErrorCode.AgencyNotFound, 404, `Agency ${id} does not exist`);
  }

  static taken(id: string): AgencyException {
    return new AgencyException(AgencyErrorCode.AgencyConflict, 409, `Agency ${id} already exists`, {
      errors: [{ pointer: '/body/id', message: 'already in use', code: 'taken' }],
    });
  }

  static versionMismatch(currentVersion: number): AgencyException {
    return new AgencyException(
      AgencyErrorCode.VersionMismatch,
      412,
      'The settings changed since you read them; fetch them again',
      { extensions: { currentVersion, currentEtag: `"${currentVersion}"` } },
    );
  }

  static preconditionRequired(): AgencyException {
    return new AgencyException(
      AgencyErrorCode.PreconditionRequired,
      428,
      'Send If-Match with the ETag of the settings you are changing',
    );
  }

  static setPasswordTokenInvalid(): AgencyException {
    return new AgencyException(
      AgencyErrorCode.SetPasswordTokenInvalid,
      400,
      'The set-password token is unknown, used or expired; ask for a new one',
    );
  }
}
