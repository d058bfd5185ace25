import { ArrayNotEmpty, IsArray } from 'class-validator';

/** The body Netcore POSTs. Items are validated one by one, so one bad item never sinks the batch. */
export class DeliveryStatusEnvelopeDto {
  @IsArray({ message: 'delivery_status must be an array' })
  @ArrayNotEmpty({ message: 'delivery_status must not be empty' })
  delivery_status!: unknown[];
}
