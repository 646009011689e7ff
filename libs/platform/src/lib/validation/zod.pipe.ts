import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ValidationException, type RequestLocation } from '../errors/validation.exception';

/**
 * Validates and parses one request part with a zod schema; failures become a 422
 * {@link ValidationException} whose pointers start with the location:
 * `@Body(new ZodPipe(createIncidentSchema, 'body'))`, `@Query(new ZodPipe(listSchema, 'query'))`.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly location: RequestLocation = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw ValidationException.fromZodError(result.error, this.location);
    }
    return result.data;
  }
}
