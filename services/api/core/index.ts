export { apply, type Outcome } from "./apply.ts";
export { createState, DURATION_BUCKETS_SECONDS, type Latest, type State, type TestState } from "./state.ts";
