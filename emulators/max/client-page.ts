/**
 * A small "MAX client" page served by the emulator at /_control/ui: a person
 * plays a MAX user (start the bot, write, attach a file, press the bot's
 * buttons, stop the bot) and sees the dialog. Plain HTML and vanilla JS on top
 * of the control API; Russian first.
 */
export function clientPageHtml(): string {
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>MAX — клиент (эмулятор)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;background:#f4f5f7}
header{background:#3b2ccf;color:#fff;padding:8px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header input{width:90px}#log{flex:1;overflow:auto;padding:16px}
.msg{max-width:70%;margin:6px 0;padding:8px 12px;border-radius:12px;background:#fff;white-space:pre-wrap}
.me{margin-left:auto;background:#d9f2ff}.bot{background:#fff}.meta{font-size:11px;color:#777}
form{display:flex;gap:8px;padding:8px 16px;background:#fff;border-top:1px solid #ddd}
#text{flex:1}button.cb{margin:4px 4px 0 0}
</style></head><body>
<header><b>MAX (эмулятор) · клиент</b>
<label>Бот <select id="bot"></select></label>
<label>ID пользователя <input id="uid" value="5001"></label>
<label>Имя <input id="uname" value="Иван"></label>
<label>Метка старта <input id="payload" placeholder="utm_source=site"></label>
<button id="start" type="button">Запустить бота</button>
<button id="stop" type="button">Остановить бота</button>
</header>
<div id="log" aria-live="polite"></div>
<form id="send"><input id="text" placeholder="Сообщение…" autocomplete="off">
<input id="file" type="file"><button type="submit">Отправить</button></form>
<script>
const $=s=>document.querySelector(s);let chatId=null;
async function api(method,path,body){const r=await fetch('/_control'+path,{method,headers:{'content-type':'application/json'},body:body?JSON.stringify(body):undefined});const j=await r.json();if(!r.ok)throw new Error(j.message||r.status);return j}
function user(){return{user_id:Number($('#uid').value),first_name:$('#uname').value||'Клиент'}}
function botId(){return Number($('#bot').value)}
async function loadBots(){const s=await api('GET','/state');$('#bot').innerHTML=s.bots.map(b=>'<option value="'+b.user_id+'">'+b.name+'</option>').join('')}
async function findChat(){const s=await api('GET','/state');const c=s.chats.find(c=>c.type==='dialog'&&c.bot_id===botId()&&c.user_id===user().user_id);chatId=c?c.chat_id:null}
function esc(t){return String(t??'').replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]))}
function render(list){const log=$('#log');log.innerHTML='';for(const m of list){if(m.deleted)continue;const d=document.createElement('div');d.className='msg '+(m.from_bot?'bot':'me');
const b=m.message.body;let h='<div class="meta">'+(m.from_bot?'Бот':'Вы')+'</div>'+esc(b.text);
for(const a of b.attachments||[]){if(a.type==='inline_keyboard'){for(const row of a.payload.buttons)for(const btn of row){if(btn.type==='callback')h+='<button class="cb" data-mid="'+b.mid+'" data-payload="'+esc(btn.payload)+'">'+esc(btn.text)+'</button>';else if(btn.type==='link')h+=' <a href="'+esc(btn.url)+'" target="_blank">'+esc(btn.text)+'</a>'}}
else if(a.payload&&a.payload.url)h+='<div>📎 <a href="'+esc(a.payload.url)+'" target="_blank">'+esc(a.filename||a.type)+'</a></div>';else h+='<div>['+a.type+']</div>'}
d.innerHTML=h;log.appendChild(d)}log.scrollTop=log.scrollHeight}
async function refresh(){try{if(chatId===null)await findChat();if(chatId!==null){const r=await api('GET','/chats/'+chatId+'/messages');render(r.messages)}}catch(e){}}
$('#start').onclick=async()=>{await api('POST','/bot-started',{bot_id:botId(),user:user(),payload:$('#payload').value||null});await findChat();refresh()};
$('#stop').onclick=async()=>{await api('POST','/bot-stopped',{bot_id:botId(),user_id:user().user_id});refresh()};
$('#log').onclick=async e=>{const t=e.target;if(t.classList.contains('cb')){await api('POST','/callbacks',{user_id:user().user_id,mid:t.dataset.mid,payload:t.dataset.payload})}};
$('#send').onsubmit=async e=>{e.preventDefault();const f=$('#file').files[0];const att=[];
if(f){const buf=new Uint8Array(await f.arrayBuffer());let s='';for(const x of buf)s+=String.fromCharCode(x);
const kind=f.type.startsWith('image/')?'image':f.type.startsWith('video/')?'video':f.type.startsWith('audio/')?'audio':'file';att.push({type:kind,filename:f.name,content_type:f.type,content_base64:btoa(s)})}
const text=$('#text').value;if(!text&&!att.length)return;await api('POST','/messages',{bot_id:botId(),user:user(),text:text||null,attachments:att});
$('#text').value='';$('#file').value='';await findChat();refresh()};
loadBots();setInterval(refresh,1000);
</script></body></html>`;
}
