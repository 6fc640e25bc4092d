// The API client: bearer token in sessionStorage (never in a URL), JSON envelopes, the
// documented error envelope turned into ApiError, and feature detection from the OpenAPI
// document (so optional endpoints that a server lacks are never called).

const TOKEN_KEY = "ie.token";

export interface Session {
  token: string;
  role: string;
  email: string;
  fullName?: string;
}

let session: Session | null = null;

export function getSession(): Session | null {
  return session;
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setSession(s: Session | null): void {
  session = s;
  try {
    if (s) sessionStorage.setItem(TOKEN_KEY, s.token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: keep the token in memory only */
  }
}

export function isStaff(role: string | undefined): boolean {
  return role === "recruiter" || role === "viewer" || role === "admin";
}

/** Staff who create and edit jobs and invitations. */
export function isWriter(role: string | undefined): boolean {
  return role === "recruiter" || role === "admin";
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public retryAfter: number | null = null,
    public details: { field: string; message: string }[] = [],
    public body: unknown = null,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  token?: string | null;
}

export interface ApiResult<T> {
  status: number;
  data: T;
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => undefined;
export function setUnauthorizedHandler(f: UnauthorizedHandler): void {
  onUnauthorized = f;
}

export async function api<T = any>(method: string, path: string, opts: ApiOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...(opts.headers ?? {}) };
  const token = opts.token !== undefined ? opts.token : session?.token;
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.form) {
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let resp: Response;
  try {
    resp = await fetch(path, { method, headers, body, cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "The server could not be reached. Check your connection and try again.");
  }
  const text = await resp.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!resp.ok) {
    const err = data && typeof data === "object" && data.error ? data.error : null;
    const retry = resp.headers.get("Retry-After");
    const e = new ApiError(
      resp.status,
      err?.code ?? `HTTP_${resp.status}`,
      err?.message ?? `The request failed (${resp.status}).`,
      retry !== null && retry !== "" && !Number.isNaN(Number(retry)) ? Number(retry) : null,
      Array.isArray(err?.details) ? err.details : [],
      data,
    );
    if ((resp.status === 401) && token && path !== "/api/v1/auth/login") onUnauthorized();
    throw e;
  }
  return { status: resp.status, data: data as T };
}

/** A human message for an error, with validation details when present. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.details.length > 0) return `${e.message} ${e.details.map((d) => `${d.field}: ${d.message}`).join("; ")}`;
    return e.message;
  }
  return "Something went wrong. Please try again.";
}

export interface Features {
  voice: boolean;
  video: boolean;
  resumes: boolean;
  feedbackReview: boolean;
}

let features: Promise<Features> | null = null;

/** Which optional API groups this server has, read from its OpenAPI document (kept equal to the
 * router by the server's tests). Unknown → not available. */
export function getFeatures(): Promise<Features> {
  if (!features) {
    features = fetch("/api/v1/openapi.json", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { paths: {} }))
      .then((doc: any) => {
        const paths = Object.keys(doc?.paths ?? {});
        const has = (re: RegExp) => paths.some((p) => re.test(p));
        return {
          voice: has(/^\/api\/v1\/interviews\/\{[^}]+\}\/realtime-ticket$/),
          video: has(/^\/api\/v1\/videos\/\{[^}]+\}\/upload-chunk$/),
          resumes: has(/^\/api\/v1\/resumes$/),
          feedbackReview: has(/^\/api\/v1\/recruiter\/feedback$/),
        };
      })
      .catch(() => ({ voice: false, video: false, resumes: false, feedbackReview: false }));
  }
  return features;
}

export function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
