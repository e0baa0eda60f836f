/**
 * The request of a call, built from the operation table: validated arguments in wire order, then the
 * dialect's extras.
 */
import { VoiceRoomValidationError } from "../Errors.js"
import type { AnyOperation, ExtraField, Param } from "../Operations.js"
import { invalidArgument } from "./invalidArgument.js"
import { type Dialect, dialects, kinds, type KindSpec, type ParamKind } from "./kinds.js"

/** The call options an operation's extra fields are set with, in any dialect. */
export const extraOptionsOf = (operation: AnyOperation): ReadonlyArray<ExtraField> => {
  let options = extraOptions.get(operation)
  if (options === undefined) {
    const seen = new Map<string, ExtraField>()
    for (const dialect of dialects) for (const extra of operation.extras[dialect] ?? []) seen.set(extra.option, extra)
    options = [...seen.values()]
    extraOptions.set(operation, options)
  }
  return options
}

// Per operation (a call with options checks them against it).
const extraOptions = new Map<AnyOperation, ReadonlyArray<ExtraField>>()

const extraValue = (
  operation: AnyOperation,
  extra: ExtraField,
  value: unknown
): number | VoiceRoomValidationError => {
  const fail = (message: string) => invalidArgument(operation.name, extra.option, message)
  if (extra.choices !== undefined) {
    const names = Object.keys(extra.choices)
    return typeof value === "string" && Object.hasOwn(extra.choices, value)
      ? extra.choices[value]!
      : fail(`${extra.option} must be one of ${names.join(", ")}, got ${JSON.stringify(value) ?? String(value)}`)
  }
  return typeof value === "number" && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff
    ? value
    : fail(`${extra.option} must be an int32 (an integer from -2147483648 to 2147483647), got ${String(value)}`)
}

/**
 * Validates the caller's arguments and builds the request fields, in wire order, with
 * the dialect's extra fields last (from `options`, else their defaults). Fails with the
 * first invalid parameter; an extra's option given under a dialect without that field
 * is an error too (it would be silently dropped). The fields are added to `into` (the
 * call's payload, its authentication fields first), else to a new object.
 */
export const buildRequest = (
  operation: AnyOperation,
  dialect: Dialect,
  args: ReadonlyArray<unknown>,
  options?: Readonly<Record<string, unknown>>,
  into: Record<string, unknown> = {}
): Record<string, unknown> | VoiceRoomValidationError => {
  const fields = into
  const plan = planOf(operation)
  const { keys, names, specs } = plan
  if (plan.order === undefined) {
    // Wire order is call order: each field is written as it is validated (one pass).
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!
      const value = spec.validate(operation.name, names[i]!, args[i])
      if (value instanceof VoiceRoomValidationError) return value
      fields[keys[i]!] = spec.toWire(value as never)
    }
  } else {
    const values: Array<unknown> = new Array(specs.length)
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!
      const value = spec.validate(operation.name, names[i]!, args[i])
      if (value instanceof VoiceRoomValidationError) return value
      values[i] = spec.toWire(value as never)
    }
    const order = plan.order
    for (let i = 0; i < order.length; i++) fields[operation.wireOrder[i]!] = values[order[i]!]
  }
  const extras = operation.extras[dialect] ?? noExtras
  for (const extra of extras) {
    const given = options?.[extra.option]
    const value = given === undefined ? extra.default : extraValue(operation, extra, given)
    if (value instanceof VoiceRoomValidationError) return value
    fields[extra.key] = value
  }
  if (options !== undefined && extras.length === 0) {
    for (const extra of extraOptionsOf(operation)) {
      if (options[extra.option] === undefined) continue
      return new VoiceRoomValidationError({
        operation: operation.name,
        parameter: extra.option,
        message: `${operation.name}: ${extra.option} is sent only under the ${
          dialects.filter((d) => (operation.extras[d] ?? []).length > 0).join(", ")
        } dialect; this client uses ${dialect}`
      })
    }
  }
  return fields
}

const noExtras: ReadonlyArray<ExtraField> = []

/** An operation's parameters as `buildRequest` walks them, computed once per operation. */
interface Plan {
  readonly specs: ReadonlyArray<KindSpec<ParamKind>>
  readonly names: ReadonlyArray<string>
  readonly keys: ReadonlyArray<string>
  /** For each key of `wireOrder`, the index of its parameter; undefined when that is call order. */
  readonly order: ReadonlyArray<number> | undefined
}

const plans = new Map<AnyOperation, Plan>()
const planOf = (operation: AnyOperation): Plan => {
  let plan = plans.get(operation)
  if (plan === undefined) {
    const params: ReadonlyArray<Param> = operation.params
    const order = operation.wireOrder.map((key) => params.findIndex((p) => p.key === key))
    const inCallOrder = order.length === params.length && order.every((index, i) => index === i)
    plan = {
      specs: params.map((param) => kinds[param.kind] as KindSpec<ParamKind>),
      names: params.map((param) => param.name),
      keys: params.map((param) => param.key),
      order: inCallOrder ? undefined : order
    }
    plans.set(operation, plan)
  }
  return plan
}
