import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { DeliveriesPage } from "./pages/deliveries.js";
import { EndpointsPage } from "./pages/endpoints.js";
import { MailboxesPage } from "./pages/mailboxes.js";
import { OverviewPage } from "./pages/overview.js";
import { RulesPage } from "./pages/rules.js";
import { forgetToken, openSession, type Session, storedToken, storeToken } from "./session.js";
import { ErrorBox } from "./ui.js";

const PAGES = {
  overview: { title: "Overview", Page: OverviewPage },
  mailboxes: { title: "Mailboxes", Page: MailboxesPage },
  rules: { title: "Rules", Page: RulesPage },
  deliveries: { title: "Deliveries", Page: DeliveriesPage },
  endpoints: { title: "Endpoints", Page: EndpointsPage },
} as const;
type PageName = keyof typeof PAGES;

const pageFromHash = (): PageName => {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";
  return name in PAGES ? (name as PageName) : "overview";
};

function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(null);
  return (
    <main>
      <section class="card">
        <h2>Sign in</h2>
        <p class="muted">
          Enter a tenant token (mh_…). It is kept in this browser tab only (sessionStorage) and sent to this
          server alone.
        </p>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              const s = await openSession(token.trim());
              storeToken(token.trim());
              onSession(s);
            } catch (err) {
              setError(err);
            }
          }}
        >
          <div class="row">
            <label>
              API token
              <input
                type="password"
                autocomplete="off"
                value={token}
                onInput={(e) => setToken(e.currentTarget.value)}
                size={50}
              />
            </label>
            <button class="primary" type="submit">
              Open the console
            </button>
          </div>
        </form>
        <ErrorBox error={error} />
      </section>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(storedToken() !== null);
  const [page, setPage] = useState<PageName>(pageFromHash());
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener("hashchange", onHash);
    const t = storedToken();
    if (t)
      openSession(t).then(
        (s) => {
          setSession(s);
          setRestoring(false);
        },
        () => {
          forgetToken();
          setRestoring(false);
        },
      );
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    document.title = `${PAGES[page].title} · mailhook`;
  }, [page]);
  if (restoring) return <p>Signing in…</p>;
  if (!session) return <SignIn onSession={setSession} />;
  const { Page } = PAGES[page];
  return (
    <>
      <header>
        <h1>mailhook</h1>
        <nav aria-label="Pages">
          {(Object.keys(PAGES) as PageName[]).map((p) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? "page" : undefined}>
              {PAGES[p].title}
            </a>
          ))}
        </nav>
        <span class="muted">
          {session.info.tenantId ?? "admin"}
          {session.readOnlyReason ? " · read-only" : ""}
        </span>
        <button
          type="button"
          onClick={() => {
            forgetToken();
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {session.readOnlyReason && (
          <div class="notice" role="note">
            You can see everything and change nothing: {session.readOnlyReason}.
          </div>
        )}
        <Page session={session} />
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
