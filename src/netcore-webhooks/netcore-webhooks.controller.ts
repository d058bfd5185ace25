import { Body, Controller, HttpCode, HttpStatus, Post, Type, UseGuards } from '@nestjs/common';
import { DeliveryStatusEnvelopePipe } from './dto/delivery-status-envelope.pipe';
import type { DeliveryStatusEnvelopeDto } from './dto/delivery-status-envelope.dto';
import { NetcoreHttpsGuard } from './guards/https.guard';
import { NetcoreIpAllowlistGuard } from './guards/ip-allowlist.guard';
import { NetcoreSignatureGuard } from './guards/signature.guard';
import type { NetcoreIngestResult } from './ingest/netcore-ingest-result';
import { NetcoreIngestService } from './ingest/netcore-ingest.service';

/**
 * The route is part of the module's declaration (`path`), so each registration gets its own controller
 * class instead of rewriting route metadata at run time.
 */
export function createNetcoreWebhooksController(path: string): Type<unknown> {
  @Controller(path)
  class NetcoreWebhooksController {
    constructor(private readonly ingest: NetcoreIngestService) {}

    @Post()
    @HttpCode(HttpStatus.OK)
    // Cheapest refusals first; the body is looked at only by the last guard.
    @UseGuards(NetcoreHttpsGuard, NetcoreIpAllowlistGuard, NetcoreSignatureGuard)
    receive(@Body(DeliveryStatusEnvelopePipe) envelope: DeliveryStatusEnvelopeDto): Promise<NetcoreIngestResult> {
      return this.ingest.ingest(envelope.delivery_status);
    }
  }
  return NetcoreWebhooksController;
}
