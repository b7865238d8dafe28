(s=>addEventListener("load",()=>requestAnimationFrame(()=>setTimeout(()=>{let e=document.createElement("script");e.src=s;document.head.append(e)}))))(document.currentScript.dataset.src)
