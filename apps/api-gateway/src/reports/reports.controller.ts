import { Readable } from 'node:stream';
import { Controller, StreamableFile } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type IncidentResponseTimes,
  type ResponseExportQuery,
  type ResponseFigures,
  type ResponseFiguresQuery,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationParams, OperationQuery } from '@gad/platform';
import { ResponseTimesService } from './response-times.service';

/** Response-time figures, the per-incident milestones and the CSV export. */
@Controller()
export class ReportsController {
  constructor(private readonly responseTimes: ResponseTimesService) {}

  @HttpOperation(operations.getIncidentResponseTimes)
  ofIncident(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentResponseTimes) params: { id: string },
  ): Promise<IncidentResponseTimes> {
    return this.responseTimes.ofIncident(user, params.id);
  }

  @HttpOperation(operations.getResponseFigures)
  figures(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.getResponseFigures) query: ResponseFiguresQuery,
  ): Promise<ResponseFigures> {
    return this.responseTimes.figures(user, query);
  }

  /** Streamed as it is read from a cursor; a bulk read of the agency's incidents, so audited. */
  @HttpOperation(operations.exportResponseTimes)
  @Audited({ action: 'report.response_times.export', objectType: 'report', captureResult: false })
  export(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.exportResponseTimes) query: ResponseExportQuery,
  ): StreamableFile {
    const day = (value: string) => new Date(value).toISOString().slice(0, 10);
    return new StreamableFile(Readable.from(this.responseTimes.exportCsv(user, query)), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="response-times-${day(query.from)}-${day(query.to)}.csv"`,
    });
  }
}
