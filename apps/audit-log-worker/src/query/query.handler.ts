import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { DomainException } from '@gad/platform';
import {
  AuditErrorCode,
  AuditRpcPatterns,
  auditQueryRequestSchema,
  auditVerifyRequestSchema,
  type AuditQueryReply,
  type AuditVerifyReply,
} from '@gad/contracts';
import type { z } from 'zod';
import { AuditQueryException } from './query.exception';
import { QueryService } from './query.service';

function parse<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new AuditQueryException(
      AuditErrorCode.InvalidRequest,
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  return result.data;
}

/**
 * Keeps a domain error's code in the reply as an `RpcException({ code, message })`, which Nest's
 * default RPC filter passes through as well as the bus's own filter does.
 */
async function typed<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainException) {
      throw new RpcException({ code: error.code, message: error.detail });
    }
    throw error;
  }
}

/** Bus RPCs `audit.query` and `audit.verify` on `gad:rpc:audit-log-worker`. */
@Controller()
export class QueryHandler {
  constructor(private readonly service: QueryService) {}

  @MessagePattern(AuditRpcPatterns.Query)
  query(@Payload() data: unknown): Promise<AuditQueryReply> {
    return typed(() => this.service.query(parse(auditQueryRequestSchema, data)));
  }

  @MessagePattern(AuditRpcPatterns.Verify)
  verify(@Payload() data: unknown): Promise<AuditVerifyReply> {
    return typed(() => this.service.verify(parse(auditVerifyRequestSchema, data)));
  }
}
