import { ApiProperty } from '@nestjs/swagger';
import type { NetcoreIngestResult } from '../ingest/netcore-ingest-result';

/** The 200 answer, as documented in OpenAPI. */
export class NetcoreIngestResultDto implements NetcoreIngestResult {
  @ApiProperty({ description: 'New events stored by this request', example: 1 })
  accepted!: number;

  @ApiProperty({ description: 'Events already stored before (a retried webhook) or repeated within the batch', example: 0 })
  duplicates!: number;

  @ApiProperty({ description: 'Items that failed validation, stored as dead letters', example: 0 })
  rejected!: number;
}
