import { CommonErrorCode, type ProblemFieldError } from '@gad/contracts';
import type { ZodError } from 'zod';
import { DomainException } from './domain.exception';
import { toJsonPointer } from './json-pointer';

/** Which part of the request a value came from; the first segment of every pointer. */
export type RequestLocation = 'body' | 'query' | 'params' | 'headers';

/** Maps zod issues to field errors whose pointers start with the request location. */
export function zodIssuesToFieldErrors(
  error: ZodError,
  location: RequestLocation,
): ProblemFieldError[] {
  return error.issues.flatMap((issue): ProblemFieldError[] => {
    const base = [location, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: toJsonPointer([...base, key]),
        message: 'Unrecognized key',
        code: issue.code,
      }));
    }
    return [{ pointer: toJsonPointer(base), message: issue.message, code: issue.code }];
  });
}

/** 422 `validation_failed` with one field error per zod issue. */
export class ValidationException extends DomainException {
  constructor(errors: ProblemFieldError[], detail = 'The request is invalid') {
    super(CommonErrorCode.ValidationFailed, 422, detail, { errors });
  }

  static fromZodError(error: ZodError, location: RequestLocation): ValidationException {
    return new ValidationException(zodIssuesToFieldErrors(error, location));
  }
}
