import { Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { buildAsyncApiDocument, buildOpenApiDocument } from '@gad/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderAsyncApiPage } from './asyncapi.page';

/**
 * Public contract documentation, generated from `@gad/contracts` at boot (the same builders write
 * the committed `apps/api-gateway/openapi.json` and `docs/asyncapi.json`):
 *
 * - `GET /docs` Swagger UI; `GET /docs/openapi.json`, `GET /docs/openapi.yaml` the OpenAPI 3.1 document
 * - `GET /docs/asyncapi` a small HTML page (browsers) or the AsyncAPI 3.0 JSON (anything else)
 * - `GET /docs/asyncapi.json` the AsyncAPI 3.0 JSON
 *
 * They are raw Fastify routes outside the operation registry (no guard, no audit), like `/health/*`.
 */
@Module({})
export class DocsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as unknown as FastifyAdapter;
    const openapi = buildOpenApiDocument() as unknown as OpenAPIObject;
    const asyncapi = buildAsyncApiDocument();
    const asyncapiJson = JSON.stringify(asyncapi);
    const asyncapiPage = renderAsyncApiPage(asyncapi);

    // SwaggerModule.setup only needs the HTTP adapter and static assets of the application; the
    // module registers them during init (before listen), so it does not need bootstrap's `configure`.
    const app = {
      getHttpAdapter: () => adapter,
      useStaticAssets: (options: Parameters<FastifyAdapter['useStaticAssets']>[0]) =>
        adapter.useStaticAssets(options),
    } as unknown as INestApplication;
    SwaggerModule.setup('docs', app, openapi, {
      jsonDocumentUrl: 'docs/openapi.json',
      yamlDocumentUrl: 'docs/openapi.yaml',
      customSiteTitle: 'GAD Dispatch API',
      swaggerOptions: { persistAuthorization: true, displayOperationId: true },
    });

    const json = (reply: FastifyReply) =>
      reply.type('application/json; charset=utf-8').send(asyncapiJson);
    adapter.get('/docs/asyncapi.json', (_request: FastifyRequest, reply: FastifyReply) =>
      json(reply),
    );
    adapter.get('/docs/asyncapi', (request: FastifyRequest, reply: FastifyReply) =>
      (request.headers.accept ?? '').includes('text/html')
        ? reply.type('text/html; charset=utf-8').send(asyncapiPage)
        : json(reply),
    );
  }
}
