(function(){
  function openTo(id){var el=document.getElementById(id);while(el){if(el.tagName==="DETAILS"){el.open=true;}el=el.parentElement;}}
  function fromHash(){if(location.hash.length>1){try{openTo(decodeURIComponent(location.hash.slice(1)));}catch(e){openTo(location.hash.slice(1));}}}
  window.addEventListener("hashchange",fromHash);fromHash();
  var docs=document.getElementById("clauses");
  if(docs){var t=document.createElement("span");t.className="tools";
    [["Expand all",true],["Collapse all",false]].forEach(function(b){var x=document.createElement("button");x.type="button";
      x.textContent=b[0];x.onclick=function(){docs.querySelectorAll("details.doc").forEach(function(d){d.open=b[1];});};t.appendChild(x);});
    docs.querySelector("h2").appendChild(t);}
})();
