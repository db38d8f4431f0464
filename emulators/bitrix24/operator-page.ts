/**
 * A small "operator" page served at /_control/ui: lines and dialogs of a
 * portal, the messages of the chosen dialog, a reply box (text or BB-code),
 * "Цитировать" on each message (the next reply quotes it, as Bitrix24's
 * messenger does), and buttons to transfer and close. Plain HTML and vanilla JS on top of the
 * control API; Russian first.
 */
export function operatorPageHtml(): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Битрикс24 — оператор (эмулятор)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh}
header{background:#2fc6f6;color:#fff;padding:8px 16px;display:flex;gap:12px;align-items:center}
main{flex:1;display:flex;min-height:0}#chats{width:300px;overflow:auto;border-right:1px solid #ddd}
.chat{padding:8px 12px;border-bottom:1px solid #eee;cursor:pointer}.chat.sel{background:#e5f7fe}
#pane{flex:1;display:flex;flex-direction:column}#msgs{flex:1;overflow:auto;padding:12px;background:#f5f7f8}
.m{max-width:70%;margin:6px 0;padding:8px 12px;border-radius:10px;background:#fff;white-space:pre-wrap}
.out{margin-left:auto;background:#dff3d6}.sys{margin:6px auto;background:#eee;font-style:italic}
.meta{font-size:11px;color:#777}form{display:flex;gap:8px;padding:8px;border-top:1px solid #ddd}#text{flex:1}
</style></head><body>
<header><b>Битрикс24 (эмулятор) · Открытые линии — оператор</b>
<label>Портал <select id="portal"></select></label><span id="status"></span></header>
<main><div id="chats"></div><div id="pane"><div id="msgs"></div>
<form id="reply"><input id="text" placeholder="Ответ клиенту (можно BB-код: [b]жирный[/b])" autocomplete="off">
<input id="file" type="file"><button type="submit">Ответить</button>
<button type="button" id="transfer">Перевести</button><button type="button" id="close">Завершить диалог</button></form></div></main>
<script>
const $=s=>document.querySelector(s);let chatId=null;let quoteId=null;
async function api(method,path,body){const r=await fetch('/_control'+path,{method,headers:{'content-type':'application/json'},body:body?JSON.stringify(body):undefined});return r.json()}
function p(){return $('#portal').value||'0'}
function esc(t){return String(t??'').replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]))}
async function loadPortals(){const s=await api('GET','/state');$('#portal').innerHTML=s.portals.map(x=>'<option value="'+x.id+'">'+x.domain+'</option>').join('')}
async function refresh(){const r=await api('GET','/portals/'+p()+'/chats');const list=r.chats||[];
$('#chats').innerHTML=list.map(c=>'<div class="chat'+(c.chatId===chatId?' sel':'')+'" data-id="'+c.chatId+'"><b>'+esc(c.externalUser.name||'Клиент')+' '+esc(c.externalUser.last_name||'')+'</b><div class="meta">'+esc(c.line.LINE_NAME)+' · сессия '+c.sessionId+(c.sessionClosed?' (закрыта)':'')+(c.crm.LEAD?' · лид '+c.crm.LEAD:'')+(c.crm.DEAL?' · сделка '+c.crm.DEAL:'')+'</div></div>').join('')||'<p style="padding:12px">Диалогов пока нет</p>';
const chat=list.find(c=>c.chatId===chatId);if(!chat)return;
$('#msgs').innerHTML=chat.messages.filter(m=>!m.deleted).map(m=>'<div class="m '+(m.system?'sys':m.direction)+'"><div class="meta">'+(m.system?'Система':m.direction==='in'?'Клиент':'Оператор')+(m.direction==='out'&&!m.system?(m.delivered?' · доставлено':' · не доставлено'):'')+' · <a href="#" data-q="'+m.id+'">Цитировать</a></div>'+esc(m.text)+m.files.map(f=>'<div>📎 <a href="'+esc(f.url)+'" target="_blank">'+esc(f.name)+'</a></div>').join('')+'</div>').join('');}
$('#chats').onclick=e=>{const d=e.target.closest('.chat');if(d){chatId=Number(d.dataset.id);quoteId=null;$('#text').placeholder='Ответ клиенту';refresh()}};
$('#msgs').onclick=e=>{const q=e.target.closest('[data-q]');if(q){e.preventDefault();quoteId=Number(q.dataset.q);$('#text').placeholder='Ответ с цитатой сообщения '+quoteId;$('#text').focus()}};
$('#reply').onsubmit=async e=>{e.preventDefault();if(chatId===null)return;const f=$('#file').files[0];const files=[];
if(f){const buf=new Uint8Array(await f.arrayBuffer());let s='';for(const x of buf)s+=String.fromCharCode(x);files.push({name:f.name,mime:f.type,type:f.type.startsWith('image/')?'image':'file',content_base64:btoa(s)})}
const text=$('#text').value;if(!text&&!files.length)return;await api('POST','/portals/'+p()+'/chats/'+chatId+'/reply',quoteId===null?{text,files}:{text,files,quoteMessageId:quoteId});quoteId=null;$('#text').value='';$('#file').value='';refresh()};
$('#transfer').onclick=async()=>{if(chatId!==null){await api('POST','/portals/'+p()+'/chats/'+chatId+'/transfer',{operatorId:3});refresh()}};
$('#close').onclick=async()=>{if(chatId!==null){await api('POST','/portals/'+p()+'/chats/'+chatId+'/close',{});refresh()}};
loadPortals().then(refresh);setInterval(refresh,1000);
</script></body></html>`;
}
