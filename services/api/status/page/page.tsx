/** GET /: the tests and the service, what is true right now. */
import type { TestsQuery } from "../query.ts";
import type { ServiceStatus } from "../service.ts";
import type { TestsPage } from "../tests.ts";
import { Layout } from "./layout.tsx";
import { ServicePanel } from "./service-panel.tsx";
import { TestsSection } from "./tests-table.tsx";

export function StatusPage(props: { q: TestsQuery; page: TestsPage; status: ServiceStatus }) {
  return (
    <Layout title="kymaros-api status">
      <header>
        <h1>kymaros-api</h1>
        <p>
          Which backups restore, right now. History is in Grafana; the raw series are on{" "}
          <a href="/metrics">/metrics</a>, this page's data on <a href="/api/v1/tests">/api/v1/tests</a> and{" "}
          <a href="/api/v1/status">/api/v1/status</a>.
        </p>
      </header>
      <main>
        <TestsSection q={props.q} page={props.page} />
        <ServicePanel status={props.status} />
      </main>
    </Layout>
  );
}
