import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { Session } from "./app/session.js";
import { holdTabLock } from "./app/tabLock.js";
import "./styles.css";

const session = new Session();
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App session={session} />
  </StrictMode>,
);
void holdTabLock(() => session.waitForOtherTab()).then(() => session.start());
