import { Body, Controller, HttpCode, HttpStatus, Post, Type, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { DeliveryStatusEnvelopePipe } from './dto/delivery-status-envelope.pipe';
import { DeliveryStatusEnvelopeDto } from './dto/delivery-status-envelope.dto';
import { NetcoreIngestResultDto } from './dto/netcore-ingest-result.dto';
import { NetcoreHttpsGuard } from './guards/https.guard';
import { NetcoreIpAllowlistGuard } from './guards/ip-allowlist.guard';
import { NetcoreSignatureGuard } from './guards/signature.guard';
import type { NetcoreIngestResult } from './ingest/netcore-ingest-result';
import { NetcoreIngestService } from './ingest/netcore-ingest.service';
import { DEFAULT_SIGNATURE_HEADER } from './netcore-webhooks.constants';

/**
 * The route is part of the module's declaration (`path`), so each registration gets its own controller
 * class instead of rewriting route metadata at run time.
 */
export function createNetcoreWebhooksController(path: string): Type<unknown> {
  @ApiTags('Netcore webhooks')
  @Controller(path)
  class NetcoreWebhooksController {
    constructor(private readonly ingest: NetcoreIngestService) {}

    @Post()
    @HttpCode(HttpStatus.OK)
    // Cheapest refusals first; the body is looked at only by the last guard.
    @UseGuards(NetcoreHttpsGuard, NetcoreIpAllowlistGuard, NetcoreSignatureGuard)
    @ApiOperation({
      summary: 'Receive a batch of Netcore delivery events',
      description:
        'Verifies the signature over the raw body, stores every valid event before answering, then emits message.<status> events. ' +
        'Retried webhooks are counted as duplicates.',
    })
    @ApiConsumes('application/json')
    @ApiHeader({
      name: DEFAULT_SIGNATURE_HEADER,
      required: false,
      description:
        "Scheme 'hmac': HMAC of the raw body (hex or base64, 'sha256=' prefix allowed). The header name is the verification.header " +
        "option; scheme 'shared-secret' uses its own header, 'standard-webhooks' the webhook-id/-timestamp/-signature headers.",
    })
    @ApiBody({ type: DeliveryStatusEnvelopeDto })
    @ApiOkResponse({ type: NetcoreIngestResultDto, description: 'Stored: counts of new, duplicate and rejected events' })
    @ApiBadRequestResponse({
      description: 'Not JSON or not UTF-8, no non-empty delivery_status array, more items than maxBatchSize, or a value that cannot be stored',
    })
    @ApiUnauthorizedResponse({ description: 'Signature missing or wrong' })
    @ApiForbiddenResponse({ description: 'Not HTTPS (requireHttps) or source address not in allowedIps' })
    @ApiUnsupportedMediaTypeResponse({ description: 'Content-Type is not JSON' })
    @ApiPayloadTooLargeResponse({ description: "Body larger than maxBodyBytes or the HTTP platform's body limit" })
    @ApiServiceUnavailableResponse({ description: 'Storage unavailable: nothing was acknowledged, Netcore retries' })
    // Typed structurally so the parameter's design type stays Object: a host's global ValidationPipe then leaves
    // the body to DeliveryStatusEnvelopePipe, which checks items one by one.
    receive(@Body(DeliveryStatusEnvelopePipe) envelope: Pick<DeliveryStatusEnvelopeDto, 'delivery_status'>): Promise<NetcoreIngestResult> {
      return this.ingest.ingest(envelope.delivery_status);
    }
  }
  return NetcoreWebhooksController;
}
