import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * A string without a lone surrogate. A lone surrogate does not come back from either database as sent:
 * PostgreSQL stores U+FFFD (so two ids differing only there are one row, and a batch holding both answered
 * 503, retried forever), SQLite keeps its bytes but reads U+FFFD back. For identities, which must compare equal.
 */
export function IsWellFormed(validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWellFormed',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be well-formed Unicode (a lone surrogate cannot be stored as sent)', ...validationOptions },
      validator: { validate: (value: unknown) => typeof value === 'string' && value.isWellFormed() },
    });
}
