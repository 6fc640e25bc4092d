import { isStaff } from "./api";

/** Goes to `path` (hash routing); re-renders when already there. */
export function navigate(path: string): void {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = `#${path}`;
}

export function homeFor(role: string | undefined): string {
  return isStaff(role) ? "/recruiter" : "/dashboard";
}

export type Cleanup = (() => void) | void;
