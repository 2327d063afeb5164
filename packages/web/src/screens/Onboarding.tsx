/** First visit on this browser: create an account, or link this browser to an existing one. The device key
 *  is generated here, in the page, and never leaves it. */
import { useId, useState, type FormEvent } from "react";
import { useSession } from "../app/context.js";
import { FormError } from "../components/FormError.js";
import { useAction } from "../components/useAction.js";

function RegisterForm() {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [name, setName] = useState("");
  const [birthdate, setBirthdate] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => session.register(name.trim(), birthdate));
  };
  return (
    <form onSubmit={submit} aria-labelledby={`${id}-h`} className="card">
      <h2 id={`${id}-h`}>Create an account</h2>
      <label htmlFor={`${id}-name`}>Name</label>
      <input
        id={`${id}-name`}
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        pattern="[A-Za-z0-9_]{2,32}"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        aria-describedby={`${id}-name-hint`}
      />
      <p id={`${id}-name-hint`} className="hint">
        2–32 letters, digits or _. Others find you by this name.
      </p>
      <label htmlFor={`${id}-birth`}>Date of birth</label>
      <input id={`${id}-birth`} type="date" value={birthdate} onChange={(e) => setBirthdate(e.target.value)} required />
      <FormError message={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Creating keys…" : "Create account"}
      </button>
    </form>
  );
}

function LinkForm() {
  const session = useSession();
  const { busy, error, run } = useAction();
  const [code, setCode] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => session.link(code));
  };
  return (
    <form onSubmit={submit} aria-labelledby={`${id}-h`} className="card">
      <h2 id={`${id}-h`}>Link this browser to your account</h2>
      <p className="hint">
        On a device that is already signed in, open <strong>Devices</strong> and choose <strong>Link a new device</strong>.
        Type the code it shows here.
      </p>
      <label htmlFor={`${id}-code`}>Link code</label>
      <input
        id={`${id}-code`}
        value={code}
        onChange={(e) => setCode(e.target.value)}
        required
        autoComplete="one-time-code"
        autoCapitalize="none"
        spellCheck={false}
      />
      <FormError message={error} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Linking…" : "Link this browser"}
      </button>
    </form>
  );
}

export function Onboarding() {
  const [mode, setMode] = useState<"register" | "link">("register");
  return (
    <main className="onboarding">
      <h1>Safelight</h1>
      <p className="tagline">End-to-end encrypted messaging. Your keys stay in this browser.</p>
      {mode === "register" ? <RegisterForm /> : <LinkForm />}
      <button type="button" className="link" onClick={() => setMode(mode === "register" ? "link" : "register")}>
        {mode === "register" ? "I already have an account: link this browser" : "Create a new account instead"}
      </button>
    </main>
  );
}
