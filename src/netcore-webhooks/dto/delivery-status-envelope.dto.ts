import { ApiProperty } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray } from 'class-validator';
import { DeliveryStatusDto } from './delivery-status.dto';

/** The body Netcore POSTs. Items are validated one by one, so one bad item never sinks the batch. */
export class DeliveryStatusEnvelopeDto {
  @ApiProperty({
    type: () => [DeliveryStatusDto],
    minItems: 1,
    description: 'Events of this batch (at most maxBatchSize). An invalid item is stored as a dead letter; the others are accepted.',
  })
  @IsArray({ message: 'delivery_status must be an array' })
  @ArrayNotEmpty({ message: 'delivery_status must not be empty' })
  delivery_status!: unknown[];
}
