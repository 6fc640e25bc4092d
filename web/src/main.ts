// Entry point: session restore, hash routing and the navigation bar.
import { api, getSession, isStaff, setSession, setUnauthorizedHandler, storedToken } from "./api";
import { clear, h } from "./dom";
import { loginPage, registerPage } from "./pages/auth";
import { dashboardPage } from "./pages/dashboard";
import { techCheckPage } from "./pages/techcheck";
import { interviewPage } from "./pages/interview";
import { resultsPage } from "./pages/results";
import { recruiterPage, recruiterDetailPage, feedbackReviewPage } from "./pages/recruiter";
import { jobEditorPage, jobsPage } from "./pages/jobs";
import { jobResultsPage } from "./pages/jobresults";
import { inviteLandingPage, unsubscribePage } from "./pages/invitations";
import { membersPage, staffInvitePage } from "./pages/members";
import { auditPage, decisionTemplatesPage, reportPage, webhooksPage } from "./pages/hiring";
import { accountPage, resetConfirmPage, resetRequestPage, verifyPage } from "./pages/account";
import { privacyPage, retentionPage } from "./pages/privacy";

import { Cleanup, homeFor, navigate } from "./nav";

export type Page = (main: HTMLElement, params: string[]) => Promise<Cleanup> | Cleanup;

interface RouteDef {
  pattern: RegExp;
  page: Page;
  /** `public`: signed in or not (the invitation links). */
  auth: "none" | "public" | "candidate" | "staff" | "any";
  title: string;
}

const ID = "([0-9a-fA-F-]{36})";
const TOKEN = "([A-Za-z0-9_-]{16,128})";
const ROUTES: RouteDef[] = [
  { pattern: /^\/login$/, page: loginPage, auth: "none", title: "Sign in" },
  { pattern: /^\/register$/, page: registerPage, auth: "none", title: "Create an account" },
  { pattern: /^\/dashboard$/, page: dashboardPage, auth: "candidate", title: "My interviews" },
  { pattern: new RegExp(`^/tech-check/${ID}$`), page: techCheckPage, auth: "candidate", title: "Tech check" },
  { pattern: new RegExp(`^/interview/${ID}$`), page: interviewPage, auth: "candidate", title: "Interview" },
  { pattern: new RegExp(`^/results/${ID}(?:/answer/(\\d+))?$`), page: resultsPage, auth: "any", title: "Results" },
  { pattern: /^\/recruiter$/, page: recruiterPage, auth: "staff", title: "Recruiter dashboard" },
  { pattern: /^\/recruiter\/feedback$/, page: feedbackReviewPage, auth: "staff", title: "Resume feedback" },
  {
    pattern: new RegExp(`^/recruiter/interview/${ID}(?:/answer/(\\d+))?$`),
    page: recruiterDetailPage,
    auth: "staff",
    title: "Interview detail",
  },
  { pattern: /^\/jobs$/, page: jobsPage, auth: "staff", title: "Jobs" },
  { pattern: /^\/jobs\/new$/, page: jobEditorPage, auth: "staff", title: "New job" },
  { pattern: new RegExp(`^/jobs/${ID}$`), page: jobEditorPage, auth: "staff", title: "Job" },
  { pattern: new RegExp(`^/jobs/${ID}/results$`), page: jobResultsPage, auth: "staff", title: "Job results" },
  { pattern: /^\/org\/members$/, page: membersPage, auth: "staff", title: "Members" },
  { pattern: /^\/org\/audit$/, page: auditPage, auth: "staff", title: "Audit trail" },
  { pattern: /^\/org\/webhooks$/, page: webhooksPage, auth: "staff", title: "Webhooks" },
  { pattern: /^\/org\/messages$/, page: decisionTemplatesPage, auth: "staff", title: "Messages to candidates" },
  { pattern: /^\/org\/retention$/, page: retentionPage, auth: "staff", title: "Data retention" },
  { pattern: /^\/account\/privacy$/, page: privacyPage, auth: "candidate", title: "Privacy and my data" },
  { pattern: new RegExp(`^/report/${ID}$`), page: reportPage, auth: "staff", title: "Interview report" },
  { pattern: new RegExp(`^/invite/${TOKEN}$`), page: inviteLandingPage, auth: "public", title: "Invitation" },
  { pattern: new RegExp(`^/staff-invite/${TOKEN}$`), page: staffInvitePage, auth: "public", title: "Join your team" },
  { pattern: new RegExp(`^/unsubscribe/${TOKEN}$`), page: unsubscribePage, auth: "public", title: "Unsubscribe" },
  { pattern: /^\/account$/, page: accountPage, auth: "any", title: "Your account" },
  { pattern: new RegExp(`^/verify/${TOKEN}$`), page: verifyPage, auth: "public", title: "Confirm your email" },
  { pattern: /^\/reset$/, page: resetRequestPage, auth: "public", title: "Reset your password" },
  { pattern: new RegExp(`^/reset/${TOKEN}$`), page: resetConfirmPage, auth: "public", title: "Choose a new password" },
];

let cleanup: Cleanup;
let lastPath = "";

function renderNav(): void {
  const nav = document.getElementById("nav");
  if (!nav) return;
  clear(nav);
  const s = getSession();
  if (!s) {
    nav.append(h("a", { href: "#/login" }, "Sign in"), h("a", { href: "#/register" }, "Register"));
    return;
  }
  if (isStaff(s.role)) {
    nav.append(h("a", { href: "#/recruiter" }, "Interviews"), h("a", { href: "#/jobs" }, "Jobs"), h("a", { href: "#/recruiter/feedback" }, "Resume feedback"));
    if (s.role === "admin") {
      nav.append(h("a", { href: "#/org/members" }, "Members"), h("a", { href: "#/org/audit" }, "Audit"), h("a", { href: "#/org/webhooks" }, "Webhooks"), h("a", { href: "#/org/messages" }, "Messages"), h("a", { href: "#/org/retention" }, "Retention"));
    }
  } else {
    nav.append(h("a", { href: "#/dashboard" }, "My interviews"), h("a", { href: "#/account/privacy" }, "Privacy"));
  }
  nav.append(
    h("a", { href: "#/account", id: "nav-account" }, "Account"),
    h("span", { class: "who hide-phone" }, `${s.email} (${s.role})`),
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        id: "sign-out",
        onclick: async () => {
          try {
            await api("POST", "/api/v1/auth/logout");
          } catch {
            /* signing out locally is enough */
          }
          setSession(null);
          navigate("/login");
        },
      },
      "Sign out",
    ),
  );
}

async function render(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  const path = location.hash.replace(/^#/, "") || "/";
  if (typeof cleanup === "function") {
    try {
      cleanup();
    } catch {
      /* ignore */
    }
  }
  cleanup = undefined;
  const s = getSession();
  let match: RegExpMatchArray | null = null;
  const route = ROUTES.find((r) => (match = path.match(r.pattern)) !== null);
  if (!route || !match) {
    navigate(s ? homeFor(s.role) : "/login");
    return;
  }
  if (route.auth !== "none" && route.auth !== "public" && !s) {
    navigate("/login");
    return;
  }
  if (route.auth === "none" && s) {
    navigate(homeFor(s.role));
    return;
  }
  if ((route.auth === "staff" && !isStaff(s?.role)) || (route.auth === "candidate" && isStaff(s?.role))) {
    navigate(homeFor(s?.role));
    return;
  }
  renderNav();
  document.title = `${route.title} · Interview Edge`;
  const samePage = lastPath.split("/").slice(0, 3).join("/") === path.split("/").slice(0, 3).join("/");
  lastPath = path;
  clear(main);
  cleanup = await route.page(main, (match as RegExpMatchArray).slice(1));
  if (!samePage) main.focus({ preventScroll: true });
}

async function boot(): Promise<void> {
  setUnauthorizedHandler(() => {
    setSession(null);
    navigate("/login");
  });
  const token = storedToken();
  if (token) {
    try {
      const me = await api<any>("GET", "/api/v1/auth/me", { token });
      setSession({ token, role: me.data.role, email: me.data.email, fullName: me.data.full_name });
    } catch {
      setSession(null);
    }
  }
  window.addEventListener("hashchange", () => void render());
  window.addEventListener("ie:session", renderNav);
  await render();
}

void boot();
