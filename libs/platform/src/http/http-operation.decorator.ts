import {
  applyDecorators,
  Body,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  SetMetadata,
} from '@nestjs/common';
import { toRoutePath, type HttpMethod, type HttpOperation } from '@gad/contracts';
import { Roles } from '../auth/auth.guard';
import { Public } from '../lib/health/public.decorator';
import { ZodPipe } from '../lib/validation/zod.pipe';

export const HTTP_OPERATION_KEY = 'gad:http-operation';

const methodDecorators: Record<HttpMethod, (path: string) => MethodDecorator> = {
  GET: Get,
  POST: Post,
  PUT: Put,
  PATCH: Patch,
  DELETE: Delete,
};

/**
 * Declares a controller method as the implementation of a contract operation: route (method and
 * path, on a controller without a prefix), success status, roles (or public) and the operation
 * itself as metadata (for the route/registry drift test and the audit interceptor).
 */
export function HttpOperation(operation: HttpOperation): MethodDecorator {
  return applyDecorators(
    methodDecorators[operation.method](toRoutePath(operation.path)),
    HttpCode(operation.success.status),
    operation.roles === 'public' ? Public() : Roles(...operation.roles),
    SetMetadata(HTTP_OPERATION_KEY, operation),
  );
}

function required<T>(value: T | undefined, what: string, operation: HttpOperation): T {
  if (value === undefined) {
    throw new Error(`operation ${operation.operationId} declares no ${what} schema`);
  }
  return value;
}

/** The request body, validated with the operation's `body` schema (422 with JSON pointers). */
export const OperationBody = (operation: HttpOperation): ParameterDecorator =>
  Body(new ZodPipe(required(operation.body, 'body', operation), 'body'));

/** The query string, validated with the operation's `query` schema. */
export const OperationQuery = (operation: HttpOperation): ParameterDecorator =>
  Query(new ZodPipe(required(operation.query, 'query', operation), 'query'));

/** The path parameters, validated with the operation's `params` schema. */
export const OperationParams = (operation: HttpOperation): ParameterDecorator =>
  Param(new ZodPipe(required(operation.params, 'params', operation), 'params'));
