// A job's results (staff): every invitation with its candidate, statuses and scores, sortable
// by the server (`sort=score|invited|name|status`, `-` descending), and a side-by-side
// comparison of 2–4 selected candidates (skill scores, levels reached, boundaries, integrity).
import { api, errorText } from "../api";
import { alertBox, clear, fmtDate, fmtScore, h, label } from "../dom";
import { exportButton } from "./hiring";

const COLUMNS: [string, string][] = [
  ["name", "Candidate"],
  ["status", "Invitation"],
  ["score", "Score"],
  ["invited", "Invited"],
];

export async function jobResultsPage(main: HTMLElement, [id]: string[]): Promise<void> {
  let title = "Job";
  try {
    title = (await api<any>("GET", `/api/v1/jobs/${id}`)).data.title;
  } catch (e) {
    main.append(h("h1", {}, "Results"), alertBox("error", errorText(e)), h("a", { href: "#/jobs" }, "Back to jobs"));
    return;
  }
  let sort = "-score";
  const selected: string[] = [];
  const tableBox = h("div", { id: "job-results", "aria-live": "polite" });
  const compareBox = h("section", { id: "compare", "aria-live": "polite" });
  const compareButton = h("button", { type: "button", id: "compare-button", disabled: true }, "Compare selected");
  const hint = h("span", { class: "muted", id: "compare-hint" }, "Select 2–4 candidates with an interview.");

  const syncCompare = () => {
    compareButton.disabled = selected.length < 2 || selected.length > 4;
    hint.textContent = `${selected.length} selected (2–4).`;
  };

  const load = async () => {
    tableBox.setAttribute("aria-busy", "true");
    try {
      const items: any[] = (await api<any>("GET", `/api/v1/jobs/${id}/results?sort=${encodeURIComponent(sort)}`)).data.items ?? [];
      clear(tableBox);
      tableBox.setAttribute("data-sort", sort);
      tableBox.setAttribute("aria-busy", "false");
      if (items.length === 0) {
        tableBox.append(h("p", { class: "muted" }, "No invitations yet."));
        return;
      }
      const areas = [...new Set(items.flatMap((r) => Object.keys(r.skill_scores ?? {})))].sort();
      const header = (key: string, text: string) => {
        const active = sort.replace(/^-/, "") === key;
        const desc = sort.startsWith("-");
        return h("th", { scope: "col", "aria-sort": active ? (desc ? "descending" : "ascending") : "none" },
          h("button", { type: "button", class: "link sort", "data-sort": key, onclick: () => {
            sort = active && !desc ? `-${key}` : key;
            void load();
          } }, text, active ? (desc ? " ▼" : " ▲") : ""));
      };
      tableBox.append(h("div", { class: "table-wrap" }, h("table", { id: "results-table" },
        h("caption", { class: "visually-hidden" }, "Candidates"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Compare")),
          ...COLUMNS.map(([k, t]) => header(k, t)),
          h("th", { scope: "col" }, "Interview"),
          ...areas.map((a) => h("th", { scope: "col", class: "hide-phone" }, label(a))))),
        h("tbody", {}, items.map((r) => {
          const box = h("input", { type: "checkbox", class: "pick", "aria-label": `Compare ${r.candidate_name ?? r.email}`, disabled: !r.interview_id, checked: selected.includes(r.interview_id) });
          box.addEventListener("change", () => {
            const at = selected.indexOf(r.interview_id);
            if (box.checked && at < 0) selected.push(r.interview_id);
            if (!box.checked && at >= 0) selected.splice(at, 1);
            syncCompare();
          });
          return h("tr", { "data-invitation": r.invitation_id, "data-interview": r.interview_id ?? "" },
            h("td", {}, box),
            h("td", { class: "name" }, r.candidate_name ?? "—", h("div", { class: "muted small" }, r.email === "erased@erased.invalid" ? "" : r.email)),
            h("td", {}, h("span", { class: `badge ${r.invitation_status}` }, label(r.invitation_status))),
            h("td", { class: "score-cell" }, fmtScore(r.overall_score)),
            h("td", {}, fmtDate(r.invited_at)),
            h("td", {}, r.interview_id
              ? h("a", { href: `#/recruiter/interview/${r.interview_id}` }, label(r.interview_status ?? "started"))
              : "—"),
            ...areas.map((a) => h("td", { class: "hide-phone" }, fmtScore(r.skill_scores?.[a]))),
          );
        })),
      )));
    } catch (e) {
      clear(tableBox);
      tableBox.append(alertBox("error", errorText(e)));
    }
  };

  compareButton.addEventListener("click", async () => {
    clear(compareBox);
    try {
      const r = await api<any>("GET", `/api/v1/jobs/${id}/compare?interview_ids=${selected.join(",")}`);
      compareBox.append(compareView(r.data.candidates ?? []));
      compareBox.scrollIntoView({ block: "start" });
    } catch (e) {
      compareBox.append(alertBox("error", errorText(e)));
    }
  });

  main.append(
    h("p", {}, h("a", { href: `#/jobs/${id}` }, "← Job")),
    h("h1", {}, `Results: ${title}`),
    h("div", { class: "row spread" }, h("span", { class: "row" }, compareButton, hint),
      exportButton("export-results", "Export CSV", () => `/api/v1/jobs/${id}/results/export?sort=${encodeURIComponent(sort)}`, `job-${id}-results.csv`)),
    tableBox,
    compareBox,
  );
  await load();
}

function compareView(cs: any[]): HTMLElement {
  const areas: string[] = cs[0]?.areas ?? [];
  const row = (head: string, cell: (c: any) => Node | string, cls = "") =>
    h("tr", { class: cls }, h("th", { scope: "row" }, head), ...cs.map((c) => h("td", {}, cell(c))));
  const flags = (c: any) => {
    const list: any[] = c.integrity_flags ?? [];
    return list.length === 0
      ? h("span", { class: "muted" }, "None")
      : h("ul", { class: "plain" }, list.map((f) => h("li", {}, `${label(String(f.type ?? "flag"))} (${f.severity ?? "?"})`)));
  };
  const level = (v: unknown) => (typeof v === "string" ? label(v) : "—");
  return h("div", { class: "card" },
    h("h2", {}, "Comparison"),
    h("div", { class: "table-wrap" }, h("table", { id: "compare-table" },
      h("caption", { class: "visually-hidden" }, "Candidates side by side"),
      h("thead", {}, h("tr", {}, h("td", {}), ...cs.map((c) => h("th", { scope: "col", "data-interview": c.interview_id }, c.candidate_name)))),
      h("tbody", {},
        row("Status", (c) => label(c.interview_status)),
        row("Overall score", (c) => fmtScore(c.overall_score), "overall"),
        ...areas.map((a) => row(label(a), (c) => fmtScore(c.skill_scores?.[a]), "area-score")),
        ...areas.map((a) => row(`${label(a)}: level reached`, (c) => level(c.levels_reached?.[a]), "level")),
        ...areas.map((a) => row(`${label(a)}: boundary`, (c) => level(c.boundaries?.[a]), "boundary")),
        row("Integrity flags", flags, "flags"),
      ),
    )),
  );
}
