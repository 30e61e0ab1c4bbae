"""The page's stylesheet and script (inlined into the one HTML file; no external resource)."""

from __future__ import annotations

__all__ = ["PAGE_CSS", "PAGE_JS"]

PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:0 1rem;color:#111;line-height:1.4}
h1{font-size:1.4rem}h2{font-size:1.15rem}
nav{display:flex;flex-wrap:wrap;gap:.25rem;border-bottom:2px solid #0072B2;margin-bottom:1rem}
nav button{font:inherit;border:1px solid #999;border-bottom:none;background:#f4f4f4;padding:.4rem .8rem;
cursor:pointer;border-radius:4px 4px 0 0}
nav button[aria-selected=true]{background:#0072B2;color:#fff;border-color:#0072B2}
button:focus-visible,select:focus-visible,input:focus-visible,li[tabindex]:focus-visible{outline:3px solid #E69F00;
outline-offset:2px}
.controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin:.5rem 0}
.evidence{border-left:4px solid #56B4E9;padding:.25rem .75rem;margin:.75rem 0;background:#fafafa;min-height:2rem}
.evidence p{margin:.4rem 0}
.note{color:#555;font-style:italic}
table.kwic{border-collapse:collapse;width:100%;font-size:.9rem}
table.kwic td{padding:.1rem .3rem;vertical-align:top}
table.kwic td.pre{text-align:right;color:#333}table.kwic td.kw{font-weight:bold;text-align:center}
.kwic-sides{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
mark{background:#F0E442;padding:0 .1em}
.termlist button,.yearlist button{font:inherit;font-size:.85rem;margin:.1rem;border:1px solid #aaa;
background:#fff;border-radius:3px;cursor:pointer}
.anchor-para{margin:.6rem 0;padding:.3rem .5rem;border-left:3px solid #ddd}
.anchor-para .frames{font-size:.8rem;color:#555}
.legend span{display:inline-block;margin-right:.6rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.2rem;vertical-align:middle}
footer{border-top:1px solid #ccc;margin-top:2rem;font-size:.85rem;color:#333}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}footer dt{font-weight:bold}
footer dd{margin:0;word-break:break-all}pre{white-space:pre-wrap;font-size:.8rem}
"""

PAGE_JS = r"""
(function(){
'use strict';
const D = JSON.parse(document.getElementById('r2p-data').textContent);
const views = {}; window.r2pViews = views; window.r2pData = D;
const rendered = {};
const OPTS = {actions:false, renderer:'svg', tooltip:true};
function esc(s){return String(s==null?'':s).replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));}
function el(tag, attrs, html){const e=document.createElement(tag); for(const k in (attrs||{})) e.setAttribute(k, attrs[k]); if(html!=null) e.innerHTML=html; return e;}
function note(sec, text){sec.appendChild(el('p',{'class':'note'},esc(text)));}
async function embed(div, spec, name){const r = await vegaEmbed(div, spec, OPTS); views[name]=r.view; return r.view;}
function datumOf(item){while(item && !(item.datum && Object.keys(item.datum).length)) item=item.mark && item.mark.group || null; return item ? item.datum : null;}
// Names from the data (a term, a speaker, a frame) are never looked up through the prototype chain:
// own(o, k) reads only o's own property, so a term 'constructor' or a docvar '__proto__' is data, not
// Object.prototype's. The charts' data carry such names with a zero-width suffix (see views.vega_safe,
// Vega groups rows in plain objects): vk() adds it to a value sent to a chart, unvk() strips it from a datum.
const HAS = Object.prototype.hasOwnProperty;
function own(o, k){return (o!=null && HAS.call(o, k)) ? o[k] : undefined;}
const PROTO = new Set(['constructor','__proto__','__defineGetter__','__defineSetter__','__lookupGetter__','__lookupSetter__','hasOwnProperty','isPrototypeOf','propertyIsEnumerable','toLocaleString','toString','valueOf']);
const VK = '\u200b';
function vk(s){return PROTO.has(s) ? s+VK : s;}
function unvk(s){return (typeof s==='string' && s.endsWith(VK) && PROTO.has(s.slice(0,-1))) ? s.slice(0,-1) : s;}
function datumOfSafe(item){const d=datumOf(item); if(!d) return d; const o={}; Object.keys(d).forEach(k=>{o[k]=unvk(d[k]);}); return o;}

// ---------------------------------------------------------------- tabs (arrow keys move between them)
const tabs = Array.from(document.querySelectorAll('[role=tab]'));
function activate(tab, focus){
  tabs.forEach(t=>{const on=t===tab; t.setAttribute('aria-selected', on); t.tabIndex = on?0:-1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;});
  if(focus) tab.focus();
  const key = tab.id.slice(4); if(!rendered[key]){rendered[key]=true; RENDER[key](document.getElementById('view-'+key));}
}
tabs.forEach((t,i)=>{t.addEventListener('click',()=>activate(t,false));
  t.addEventListener('keydown',ev=>{let j=null; if(ev.key==='ArrowRight') j=(i+1)%tabs.length; else if(ev.key==='ArrowLeft') j=(i-1+tabs.length)%tabs.length;
    else if(ev.key==='Home') j=0; else if(ev.key==='End') j=tabs.length-1; if(j!==null){ev.preventDefault(); activate(tabs[j],true);}});});

// ---------------------------------------------------------------- overview
function renderOverview(sec){
  const v = D.overview; if(v.note){note(sec, v.note); return;}
  sec.appendChild(el('p',{},esc(v.n_docs+' documents with text in '+v.n_years+' years'+(v.by?', coloured by '+v.by:'')+'. Click a bar to list its documents.')));
  const div = el('div',{id:'chart-overview'}); sec.appendChild(div);
  const c=el('div',{'class':'controls'}); const lab=el('label',{},'Year: '); const sel=el('select',{id:'overview-year'});
  sel.appendChild(el('option',{value:''},'(pick a year)')); Object.keys(v.docs).sort().forEach(y=>sel.appendChild(el('option',{value:y},esc(y))));
  lab.appendChild(sel); c.appendChild(lab); sec.appendChild(c);
  const ev = el('div',{'class':'evidence',id:'ev-overview','aria-live':'polite'}); sec.appendChild(ev);
  sel.addEventListener('change',()=>{const g=own(v.docs, sel.value)||{}; let h='<p><b>'+esc(sel.value)+'</b></p><ul>';
    Object.keys(g).sort().forEach(k=>own(g,k).forEach(r=>{h+='<li>'+esc(k)+': '+r.map(esc).join(' &middot; ')+'</li>';})); ev.innerHTML=h+'</ul>';});
  embed(div, v.spec, 'overview').then(view=>view.addEventListener('click',(e,item)=>{const d=datumOfSafe(item); if(!d) return;
    const rows=own(own(v.docs, String(d.year))||{}, d.group)||[];
    ev.innerHTML='<p><b>'+esc(d.year)+', '+esc(d.group)+'</b>: '+rows.length+' document(s)</p><ul>'+rows.map(r=>'<li>'+r.map(esc).join(' &middot; ')+'</li>').join('')+'</ul>';}));
}

// ---------------------------------------------------------------- similarity
function showParagraphs(ev, doc){
  const v=D.similarity, m=own(v.docs, doc)||[], ps=own(v.paragraphs, doc)||[];
  let h='<p><b>'+esc(doc)+'</b> ('+esc(m[0]||'')+', '+esc(m[1]||'')+'): cosine '+esc(m[2])+'. Paragraphs closest to the anchor:</p>';
  if(!ps.length) h+='<p class="note">No paragraphs recorded for this document.</p>';
  ps.forEach(p=>{h+='<p class="para" data-unit="'+esc(p[2])+'"><b>#'+p[0]+'</b> (cosine '+p[1]+', '+esc(p[2])+') '+esc(p[3])+'</p>';});
  ev.innerHTML=h;
}
function renderSimilarity(sec){
  const v=D.similarity; if(v.note){note(sec, v.note); return;}
  (v.notes||[]).forEach(n=>note(sec,n));
  sec.appendChild(el('p',{},'Cosine (TF-IDF) of each document to the anchor, with its paragraph-bootstrap interval. Hover a point for the document; click it (or pick it below) for its paragraphs closest to the anchor.'));
  const div=el('div',{id:'chart-similarity'}); sec.appendChild(div);
  const lab=el('label',{},'Document: '); const sel=el('select',{id:'sim-doc'});
  Object.keys(v.docs).sort((a,b)=>own(v.docs,b)[2]-own(v.docs,a)[2]).forEach(d=>sel.appendChild(el('option',{value:d},esc(d+' ('+own(v.docs,d)[2]+')'))));
  lab.appendChild(sel); const c=el('div',{'class':'controls'}); c.appendChild(lab); sec.appendChild(c);
  const ev=el('div',{'class':'evidence',id:'ev-similarity','aria-live':'polite'}); sec.appendChild(ev);
  sel.addEventListener('change',()=>showParagraphs(ev, sel.value));
  embed(div, v.spec, 'similarity').then(view=>view.addEventListener('click',(e,item)=>{const d=datumOfSafe(item); if(d&&d.doc_id){sel.value=d.doc_id; showParagraphs(ev, d.doc_id);}}));
}

// ---------------------------------------------------------------- terms
function kwicTable(rows){
  if(!rows||!rows.length) return '<p class="note">no line</p>';
  return '<table class="kwic">'+rows.map(r=>'<tr><td class="pre">'+esc(r[2])+'</td><td class="kw">'+esc(r[3])+'</td><td>'+esc(r[4])+'</td><td class="note">'+esc(r[0])+'</td></tr>').join('')+'</table>';
}
function showKwic(ev, comp, term){
  const k=own(comp.kwic, term);
  let h='<p><b>'+esc(term)+'</b> in context</p>';
  if(!k){h+='<p class="note">No KWIC lines stored for this term: the run keeps them for the most distinctive terms of each side (compare.evidence_terms).</p>'; ev.innerHTML=h; return;}
  h+='<div class="kwic-sides"><div><h3>'+esc(comp.target)+'</h3>'+kwicTable(k.target)+'</div><div><h3>'+esc(comp.reference)+'</h3>'+kwicTable(k.reference)+'</div></div>';
  ev.innerHTML=h;
}
function renderTerms(sec){
  const v=D.terms; if(v.note){note(sec, v.note); return;}
  (v.notes||[]).forEach(n=>note(sec,n));
  sec.appendChild(el('p',{},'Each point is a term: its frequency on both sides against how distinctive it is (Fightin\' Words z, or G2 signed by direction). Search to highlight terms; click a point, a label or a term button for its lines in context from both sides.'));
  const c=el('div',{'class':'controls'});
  const cs=el('select',{id:'term-comparison','aria-label':'comparison'}); v.comparisons.forEach((cp,i)=>cs.appendChild(el('option',{value:i},esc(cp.label))));
  const ms=el('select',{id:'term-measure','aria-label':'measure'}); ms.appendChild(el('option',{value:'z'},"Fightin' Words z")); ms.appendChild(el('option',{value:'g2'},'signed G2'));
  const q=el('input',{id:'term-search',type:'search',placeholder:'search terms','aria-label':'search terms'});
  [cs,ms,q].forEach(x=>c.appendChild(x)); sec.appendChild(c);
  const div=el('div',{id:'chart-terms'}); sec.appendChild(div);
  const list=el('div',{'class':'termlist',id:'term-list'}); sec.appendChild(list);
  const ev=el('div',{'class':'evidence',id:'ev-terms','aria-live':'polite'}); sec.appendChild(ev);
  function comp(){return v.comparisons[+cs.value];}
  function buttons(terms){list.innerHTML=''; terms.slice(0,40).forEach(t=>{const b=el('button',{type:'button','data-term':t},esc(t)); b.addEventListener('click',()=>showKwic(ev, comp(), t)); list.appendChild(b);});}
  function search(){const s=q.value.trim().toLowerCase(); if(views.terms){views.terms.signal('q', s).runAsync();}
    buttons(s?comp().terms.filter(t=>t.toLowerCase().indexOf(s)>=0):comp().top);}
  async function draw(){const cp=comp(); const spec=cp.specs[ms.value]||cp.specs.z; div.innerHTML='';
    const view=await embed(div, spec, 'terms'); view.addEventListener('click',(e,item)=>{const d=datumOfSafe(item); if(d&&d.term) showKwic(ev, cp, d.term);}); search();}
  cs.addEventListener('change',draw); ms.addEventListener('change',draw); q.addEventListener('input',search);
  draw();
}

// ---------------------------------------------------------------- topics
function renderTopics(sec){
  const v=D.topics; if(v.note){note(sec, v.note); return;}
  sec.appendChild(el('p',{},esc('Model '+v.model+', K = '+v.k+'. Top terms by probability, the topic\'s share by year (band: interval) and its most representative paragraphs.')));
  const c=el('div',{'class':'controls'}); const sel=el('select',{id:'topic-select','aria-label':'topic'});
  v.topics.forEach(t=>sel.appendChild(el('option',{value:t.topic},esc('topic '+t.topic+': '+t.label))));
  c.appendChild(sel); sec.appendChild(c);
  const div=el('div',{id:'chart-topics'}); sec.appendChild(div);
  const ev=el('div',{'class':'evidence',id:'ev-topics','aria-live':'polite'}); sec.appendChild(ev);
  function show(){const t=v.topics.find(x=>x.topic===+sel.value); if(views.topics) views.topics.signal('topic', t.topic).runAsync();
    let h='<p><b>Topic '+t.topic+'</b>. Probability: '+esc(t.prob.join(', '))+'</p><p>FREX: '+esc(t.frex.join(', '))+'</p><h3>Representative paragraphs</h3>';
    if(!t.examples.length) h+='<p class="note">none recorded</p>';
    t.examples.forEach(x=>{h+='<p class="para"><b>'+esc(x[0])+'</b> ('+esc(x[1])+', share '+x[2]+') '+esc(x[3])+'</p>';}); ev.innerHTML=h;}
  sel.addEventListener('change',show);
  embed(div, v.spec, 'topics').then(show);
}

// ---------------------------------------------------------------- frames
function hl(left, kw, right){return esc(left)+' <mark>'+esc(kw)+'</mark> '+esc(right);}
function renderFrames(sec){
  const v=D.frames; if(v.note){note(sec, v.note); return;}
  sec.appendChild(el('p',{},'Matches of each frame per 1,000 tokens by year (band: interval; dashed lines: change points). Click a year (or pick it below) for matched passages, keyword highlighted.'));
  const c=el('div',{'class':'controls'}); const sel=el('select',{id:'frame-select','aria-label':'frame'});
  v.frames.forEach(f=>sel.appendChild(el('option',{value:f},esc(f)))); c.appendChild(sel); sec.appendChild(c);
  const div=el('div',{id:'chart-frames'}); sec.appendChild(div);
  const years=el('div',{'class':'yearlist',id:'frame-years'}); sec.appendChild(years);
  const ev=el('div',{'class':'evidence',id:'ev-frames','aria-live':'polite'}); sec.appendChild(ev);
  function fam(f){return f.split('.')[0];}
  function passages(f, year){const rows=(own(own(v.passages, fam(f))||{}, String(year))||[]).filter(r=>f.indexOf('.')<0||r[0]===f);
    let h='<p><b>'+esc(f)+', '+esc(year)+'</b>: '+rows.length+' passage(s)</p>';
    if(!rows.length) h+='<p class="note">No matched passage recorded for this frame and year.</p>';
    rows.forEach(r=>{h+='<p class="passage">'+hl(r[3],r[4],r[5])+' <span class="note">('+esc(r[1])+'; entry '+esc(r[2])+')</span></p>';}); ev.innerHTML=h;}
  function yearButtons(){const f=sel.value; years.innerHTML=''; Object.keys(own(v.passages, fam(f))||{}).sort().forEach(y=>{
    const b=el('button',{type:'button','data-year':y},esc(y)); b.addEventListener('click',()=>passages(sel.value,y)); years.appendChild(b);});
    const cp=own(v.changepoints, f); if(cp) years.appendChild(el('span',{'class':'note'},' change points: '+esc(cp.join(', '))));}
  sel.addEventListener('change',()=>{if(views.frames) views.frames.signal('frame', vk(sel.value)).runAsync(); yearButtons();});
  embed(div, v.spec, 'frames').then(view=>{yearButtons(); view.addEventListener('click',(e,item)=>{const d=datumOfSafe(item); if(d&&d.year!=null) passages(sel.value, d.year);});});
}

// ---------------------------------------------------------------- anchor
function renderAnchor(sec){
  const v=D.anchor; if(!v.paragraphs){note(sec, v.note); return;}
  if(v.note) note(sec, v.note);
  sec.appendChild(el('p',{},esc('The anchor, '+D.meta.anchor+', paragraph by paragraph; each frame match is highlighted in its family\'s colour.')));
  const lg=el('p',{'class':'legend'}); v.families.forEach(f=>lg.innerHTML+='<span><i style="background:'+esc(own(v.colours,f))+'"></i>'+esc(f)+'</span>'); sec.appendChild(lg);
  v.paragraphs.forEach((p,i)=>{let h='', at=0; const fams=new Set();
    p.spans.forEach(s=>{if(s[0]<at) return; h+=esc(p.text.slice(at,s[0]))+'<mark data-frame="'+esc(s[3])+'" title="'+esc(s[3])+'" style="background:'+esc(own(v.colours,s[2]))+'55;border-bottom:2px solid '+esc(own(v.colours,s[2]))+'">'+esc(p.text.slice(s[0],s[1]))+'</mark>'; at=s[1]; fams.add(s[2]);});
    h+=esc(p.text.slice(at));
    const d=el('div',{'class':'anchor-para',id:'para-'+i,tabindex:'0'}, '<p>'+h+'</p><p class="frames">'+esc(p.unit_id)+(fams.size?': '+esc(Array.from(fams).join(', ')):'')+'</p>');
    sec.appendChild(d);});
}

const RENDER={overview:renderOverview, similarity:renderSimilarity, terms:renderTerms, topics:renderTopics, frames:renderFrames, anchor:renderAnchor};
const notes=D.meta.notes||[]; document.getElementById('notes').textContent=notes.join(' ');
activate(tabs[0], false);
})();
"""
