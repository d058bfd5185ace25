import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

/** True when every constraint declared on the object's class passes. */
export type ValidityCheck = (object: object) => boolean;

interface ValidationMetadataLike {
  type: string;
  propertyName: string;
  constraints: unknown[];
  constraintCls: new (...args: unknown[]) => unknown;
  each?: boolean;
  validateIf?: unknown;
  always?: boolean;
  groups?: string[];
}
interface ConstraintLike {
  async: boolean;
  instance: { validate(value: unknown, args: ValidationArguments): unknown };
}
interface PropertyPlan {
  property: string;
  conditions: ValidationMetadataLike[];
  checks: { metadata: ValidationMetadataLike; constraint: ConstraintLike }[];
  nested: boolean;
}

const compiled = new Map<Function, ValidityCheck | null>();

/**
 * A fast yes/no answer from the constraints declared with class-validator decorators, for the common case of
 * a valid object: the same validator functions `validateSync` calls, without building error objects. The
 * decorators stay the schema. Anything outside the plain case (groups, `each`, `validateIf`, async or promise
 * validation, arrays of nested objects) is not compiled: the check then answers false and the caller asks
 * `validateSync`, which also supplies the messages when an object is invalid.
 */
export function compileValidityCheck(target: Function): ValidityCheck | null {
  if (compiled.has(target)) return compiled.get(target)!;
  compiled.set(target, null); // a class nesting itself is not compiled
  const check = build(target);
  compiled.set(target, check);
  return check;
}

function build(target: Function): ValidityCheck | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined) as unknown as ValidationMetadataLike[];
  if (!metadatas.length) return null; // validateSync rejects unknown classes (forbidUnknownValues)
  const plans = new Map<string, PropertyPlan>();
  for (const metadata of metadatas) {
    if (metadata.each || metadata.validateIf || metadata.groups?.length || metadata.always) return null;
    const plan = plans.get(metadata.propertyName) ?? { property: metadata.propertyName, conditions: [], checks: [], nested: false };
    plans.set(metadata.propertyName, plan);
    switch (metadata.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION:
        plan.conditions.push(metadata);
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
      case ValidationTypes.IS_DEFINED:
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls) as unknown as ConstraintLike[]) {
          if (constraint.async) return null;
          plan.checks.push({ metadata, constraint });
        }
        break;
      case ValidationTypes.NESTED_VALIDATION:
        plan.nested = true;
        break;
      default:
        return null;
    }
  }
  const properties = [...plans.values()];
  return (object: object) => {
    const record = object as Record<string, unknown>;
    for (const plan of properties) {
      const value = record[plan.property];
      let skip = false;
      for (const condition of plan.conditions) {
        if (!(condition.constraints[0] as (o: object, v: unknown) => boolean)(object, value)) skip = true;
      }
      if (skip) continue;
      for (const { metadata, constraint } of plan.checks) {
        const args: ValidationArguments = {
          targetName: object.constructor?.name,
          property: metadata.propertyName,
          object,
          value,
          constraints: metadata.constraints,
        };
        const valid = constraint.instance.validate(value, args);
        if (!valid || typeof (valid as Promise<unknown>).then === 'function') return false;
      }
      if (plan.nested && value !== undefined) {
        if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Set || value instanceof Map) return false;
        const nested = compileValidityCheck(value.constructor);
        if (!nested || !nested(value)) return false;
      }
    }
    return true;
  };
}
