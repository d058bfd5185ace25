// netcore-webhooks/testing: helpers for a host app's tests (sign a body as Netcore does, build sample
// payloads), kept out of the library entry as @nestjs/testing is kept out of @nestjs/core.
export { signNetcorePayload } from './netcore-webhooks/testing/sign-netcore-payload';
export type { SignNetcorePayloadOptions } from './netcore-webhooks/testing/sign-netcore-payload';
export {
  NETCORE_SAMPLE_PAYLOADS,
  buildDeliveryStatus,
  buildWebhookPayload,
} from './netcore-webhooks/testing/netcore-samples';
export type { NetcoreDeliveryStatusItem, NetcoreWebhookPayload } from './netcore-webhooks/testing/netcore-samples';
