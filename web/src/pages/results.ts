// Results: overall score, skill chart, strengths and weaknesses linking to the cited answers in
// the transcript below. Polls while the assessment is generated (202).
import { api, errorText } from "../api";
import { alertBox, clear, fmtScore, h, label, sleep } from "../dom";
import { skillChart } from "../chart";
import { messageItem } from "./interview";

/** Renders an assessment; evidence links point at `${linkBase}/answer/{seq}`. */
export function assessmentView(a: any, linkBase: string, staff = false): HTMLElement {
  const evidenceList = (items: any[], id: string) =>
    h("ul", { id, class: "evidence" }, (items ?? []).map((it: any) =>
      h("li", {}, String(it.text ?? ""),
        (it.evidence ?? []).flatMap((seq: number) => [" ", h("a", { href: `#${linkBase}/answer/${seq}`, "data-seq": seq }, `answer #${seq}`)]),
      ),
    ));
  return h("section", { id: "assessment", "aria-labelledby": "assessment-title" },
    h("h2", { id: "assessment-title" }, "Assessment"),
    a.partial ? alertBox("info", "Partial assessment: the interview ended early.") : null,
    h("div", { class: "card" },
      h("p", {}, "Overall score"),
      h("p", { class: "score", id: "overall-score" }, fmtScore(a.overall_score)),
      h("p", { id: "summary" }, String(a.summary ?? "")),
    ),
    h("div", { class: "card" }, h("h3", {}, "Skill scores"), skillChart(a.skill_scores ?? {})),
    h("div", { class: "grid wide" },
      h("div", { class: "card" }, h("h3", {}, "Strengths"), evidenceList(a.strengths, "strengths")),
      h("div", { class: "card" }, h("h3", {}, "Areas to improve"), evidenceList(a.weaknesses, "weaknesses")),
    ),
    staff && Array.isArray(a.recommended_actions) && a.recommended_actions.length
      ? h("div", { class: "card" }, h("h3", {}, "Recommended actions"), h("ul", {}, a.recommended_actions.map((x: string) => h("li", {}, x))))
      : null,
    staff && typeof a.integrity_score === "number"
      ? h("div", { class: "card", id: "integrity" },
          h("h3", {}, "Integrity"),
          h("p", {}, `Integrity score: ${fmtScore(a.integrity_score)}`),
          Array.isArray(a.integrity_flags) && a.integrity_flags.length
            ? h("ul", {}, a.integrity_flags.map((f: any) => h("li", {}, `${label(String(f.flag_type ?? f.type ?? "flag"))}${f.sequence_number ? ` (answer #${f.sequence_number})` : ""}`)))
            : h("p", { class: "muted" }, "No integrity flags."),
        )
      : null,
  );
}

export function focusAnswer(seq: string | undefined, prefix = "msg"): void {
  if (!seq) return;
  const el = document.getElementById(`${prefix}-${seq}`);
  if (el) {
    el.classList.add("highlight");
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }
}

export async function resultsPage(main: HTMLElement, [id, seq]: string[]): Promise<() => void> {
  let alive = true;
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted", role: "status" }, "Loading the assessment…"));
  const transcript = h("ol", { class: "transcript", id: "transcript", "aria-label": "Transcript" });
  main.append(
    h("h1", {}, "Interview results"),
    body,
    h("section", { "aria-labelledby": "transcript-title" }, h("h2", { id: "transcript-title" }, "Transcript"), transcript),
    h("p", {}, h("a", { href: "#/dashboard" }, "Back to my interviews")),
  );
  try {
    const t = await api<any>("GET", `/api/v1/interviews/${id}/transcript`);
    for (const m of t.data.messages ?? []) transcript.append(messageItem(m));
  } catch (e) {
    transcript.append(h("li", {}, alertBox("error", errorText(e))));
  }
  for (let i = 0; alive; i++) {
    try {
      const r = await api<any>("GET", `/api/v1/interviews/${id}/assessment`);
      if (r.status === 200) {
        clear(body);
        body.removeAttribute("aria-busy");
        body.append(assessmentView(r.data, `/results/${id}`));
        focusAnswer(seq);
        break;
      }
      clear(body);
      body.append(alertBox("info", `Your assessment is being prepared (${label(String(r.data?.status ?? "pending"))})…`));
    } catch (e) {
      clear(body);
      body.append(alertBox("error", errorText(e)));
      break;
    }
    await sleep(Math.min(10_000, 1000 + i * 500));
  }
  return () => {
    alive = false;
  };
}
