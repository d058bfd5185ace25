import { registerDecorator, type ValidationOptions } from 'class-validator';
import { parseReceivedAt } from './received-at';

/** `received_at`: epoch seconds (digits or integer) or `YYYY-MM-DD HH:mm:ss` UTC. */
export function IsReceivedAt(validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isReceivedAt',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must be epoch seconds (a string of digits or an integer) or "YYYY-MM-DD HH:mm:ss" UTC',
        ...validationOptions,
      },
      validator: { validate: (value: unknown) => parseReceivedAt(value) !== undefined },
    });
}
