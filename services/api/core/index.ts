export { apply, type Outcome } from "./apply.ts";
export { type RetireOutcome, retire } from "./retire.ts";
export {
  createState,
  DURATION_BUCKETS_SECONDS,
  isRetired,
  type Latest,
  type State,
  type TestState,
} from "./state.ts";
