// Written by someone who likes modern JavaScript.
const PROXY = "PROXY modern.corp.test:8080";
const bypass = ["corp.test", "partner.test"];
let hits = 0;

const matchesAny = (host, list) => list.some(d => host === d || host.endsWith(`.${d}`));

function FindProxyForURL(url, host) {
	const h = host.toLowerCase();
	if (matchesAny(h, bypass)) {
		hits++;
		return "DIRECT";
	}
	let parts = [];
	for (const label of h.split(".")) {
		if (label.length > 0)
			parts.push(label.length);
	}
	const tag = parts.join("x");
	return `${PROXY}; PROXY ${tag}.corp.test:${8000 + hits}`;
}
