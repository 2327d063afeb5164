/** The signed-in screen: conversation list and the open conversation side by side, or one at a time on a
 *  phone. The open conversation is kept in the URL hash so a reload returns to it. */
import { useEffect, useState } from "react";
import { useSession } from "../app/context.js";
import { ConversationList } from "../components/ConversationList.js";
import { ConversationView } from "../components/ConversationView.js";
import { MessageSearch } from "../components/MessageSearch.js";
import { DevicesDialog } from "../components/DevicesDialog.js";
import { ImageProtectionSetting } from "../components/ImageProtectionSetting.js";
import { NotificationSettings } from "../components/NotificationSettings.js";
import { NewChatDialog } from "../components/NewChatDialog.js";
import { NewGroupDialog } from "../components/NewGroupDialog.js";
import { TopBar } from "../components/TopBar.js";
import { TypingSetting } from "../components/TypingSetting.js";
import { AlarmDialog } from "../components/AlarmDialog.js";

const fromHash = () => /^#\/c\/(.+)$/.exec(location.hash)?.[1];

export function Messenger() {
  const session = useSession();
  const [selected, setSelected] = useState<string | undefined>(fromHash);
  const [dialog, setDialog] = useState<"chat" | "group" | "devices">();
  const [readReceipts, setReadReceipts] = useState(session.readReceipts);

  useEffect(() => {
    const onHash = () => setSelected(fromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const open = (id: string | undefined) => {
    setDialog(undefined);
    setSelected(id);
    history.replaceState(null, "", id ? `#/c/${id}` : location.pathname);
  };

  const unread = session.conversations.reduce((n, c) => n + c.unread, 0);
  useEffect(() => {
    document.title = unread ? `(${unread}) Safelight` : "Safelight";
  }, [unread]);

  const current = session.conversations.find((c) => c.id === selected);
  useEffect(() => {
    session.notifier.openConversation = current?.id;
  }, [session, current?.id]);
  return (
    <div className="messenger" data-view={current ? "chat" : "list"}>
      <TopBar title="Safelight">
        {session.moderator && (
          <a className="button" href="#/moderation">
            Moderation
          </a>
        )}
        <label className="setting" title="Off: you send no read receipts and see no one's">
          <input
            type="checkbox"
            checked={readReceipts}
            onChange={(e) => {
              // Shown at once; the SDK stores it in this browser's profile.
              setReadReceipts(e.target.checked);
              void session.setReadReceipts(e.target.checked);
            }}
          />
          Read receipts
        </label>
        <TypingSetting />
        <NotificationSettings />
        <ImageProtectionSetting />
        <button type="button" onClick={() => setDialog("devices")}>
          Devices
        </button>
      </TopBar>
      <nav className="sidebar" aria-label="Conversations">
        <div className="sidebar-actions">
          <button type="button" className="primary" onClick={() => setDialog("chat")}>
            New chat
          </button>
          <button type="button" onClick={() => setDialog("group")}>
            New group
          </button>
        </div>
        <MessageSearch onOpen={open}>
          <ConversationList items={session.conversations} selected={selected} onSelect={open} />
        </MessageSearch>
      </nav>
      <main className="main">
        {current ? (
          <ConversationView key={current.id} conversation={current} onBack={() => open(undefined)} />
        ) : (
          <p className="empty center">Choose a conversation, or start a new one.</p>
        )}
      </main>
      {session.keyTransparencyAlarms[0] && (
        <AlarmDialog alarm={session.keyTransparencyAlarms[0]} onClose={() => session.dismissAlarm(session.keyTransparencyAlarms[0]!)} />
      )}
      {dialog === "chat" && <NewChatDialog onClose={() => setDialog(undefined)} onOpened={open} />}
      {dialog === "group" && <NewGroupDialog onClose={() => setDialog(undefined)} onOpened={open} />}
      {dialog === "devices" && <DevicesDialog onClose={() => setDialog(undefined)} />}
    </div>
  );
}
