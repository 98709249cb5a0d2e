// Damask's pages work without this script; it adds what needs a script:
// drag and drop uploads with progress, thumbnails that arrive as
// processing finishes, selection with shift-click, keyboard moves in the
// grid, copying links. Plain JavaScript, no build step, no framework, and
// nothing from a user is ever set as HTML: only textContent and attributes.
"use strict";

// The page's language: the server writes the catalog of this script's
// texts into the page (JSON in the body's data-catalog), English text to
// the page's, a count's as [singular, plural]. tx says a text, its %s and %d
// filled in order; txn a count's. A text the catalog lacks is English.
var catalog = (function () {
	try { return JSON.parse(document.body.getAttribute("data-catalog") || "{}"); } catch (err) { return {}; }
})();
function fill(f, args) {
	var i = 0;
	return f.replace(/%[sd]/g, function () { return String(args[i++]); });
}
function tx(key) {
	var m = catalog[key];
	return fill(m ? m[0] : key, Array.prototype.slice.call(arguments, 1));
}
// kindText names a tile's kind (search.KindOf's) as the pages do.
function kindText(k) {
	switch (k) {
	case "image": return tx("image");
	case "video": return tx("video");
	case "audio": return tx("audio");
	case "document": return tx("document");
	case "other": return tx("other");
	}
	return tx("file");
}
function txn(count, one, other) {
	var m = catalog[one];
	var f = count === 1 ? (m ? m[0] : one) : (m ? m[m.length - 1] : other);
	return fill(f, [count].concat(Array.prototype.slice.call(arguments, 3)));
}

(function () {
	var grid = document.getElementById("grid");
	var selection = document.getElementById("selection");

	// The browser's time zone, for the server to show times in (a user's
	// own setting goes first): a cookie, set on the first page seen, the
	// sign-in page included, and again when the zone changes.
	try {
		var tz = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
		if (tz && /^[A-Za-z0-9_+\/-]{1,64}$/.test(tz) && document.cookie.split("; ").indexOf("damask_tz=" + tz) < 0) {
			document.cookie = "damask_tz=" + tz + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
		}
	} catch (err) { /* no zone known: the pages say UTC */ }

	// "/" goes to the search box, unless one is typing somewhere.
	document.addEventListener("keydown", function (e) {
		if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
		var t = e.target;
		if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
		var q = document.getElementById("q");
		if (q) { e.preventDefault(); q.focus(); q.select(); }
	});

	// Menus that apply at once (the sort order, a user's role).
	document.querySelectorAll("select.autosubmit").forEach(function (s) {
		s.addEventListener("change", function () {
			if (s.form.requestSubmit) s.form.requestSubmit(); else s.form.submit();
		});
	});

	// Copy buttons copy the input they name.
	document.querySelectorAll("button.copy").forEach(function (b) {
		b.addEventListener("click", function () {
			var input = document.getElementById(b.getAttribute("data-copy"));
			if (!input) return;
			input.select();
			var done = function () { b.textContent = tx("Copied"); };
			if (navigator.clipboard && window.isSecureContext) {
				navigator.clipboard.writeText(input.value).then(done, function () {});
			} else if (document.execCommand && document.execCommand("copy")) {
				done();
			}
		});
	});

	// A click on the preview zooms to the large rendition in place.
	var zoom = document.getElementById("zoom");
	if (zoom) {
		zoom.addEventListener("click", function (e) {
			e.preventDefault();
			var img = zoom.querySelector("img");
			if (!zoom.classList.contains("zoomed") && img.getAttribute("src") !== zoom.getAttribute("href")) {
				img.setAttribute("src", zoom.getAttribute("href"));
			}
			zoom.classList.toggle("zoomed");
		});
	}

	// ---- selection

	function boxes() { return grid ? Array.prototype.slice.call(grid.querySelectorAll("input[name=ids]")) : []; }
	var lastBox = null;
	function showSelected() {
		var n = 0;
		boxes().forEach(function (b) {
			var tile = b.closest(".tile");
			if (tile) tile.classList.toggle("selected", b.checked);
			if (b.checked) n++;
		});
		var all = boxes().length, scope = document.getElementById("sel-scope");
		// "Select all N results": offered once the page's boxes are all
		// ticked; a box unticked goes back to the ticked ones.
		if (scope && scope.value === "query" && n < all) scope.value = "ids";
		var offer = document.getElementById("select-all-offer");
		if (offer) offer.hidden = !(all > 0 && n === all) || (scope && scope.value === "query");
		var c = document.getElementById("selected-count");
		if (c) {
			if (scope && scope.value === "query") {
				c.textContent = tx("All %d results are selected.", selection.getAttribute("data-total"));
			} else {
				c.textContent = n === 0 ? tx("Select assets with their boxes (Space; Shift for a range).") : tx("%d selected", n);
			}
			c.classList.toggle("active", n > 0);
		}
	}
	var selectAll = document.getElementById("select-all");
	if (selectAll) {
		selectAll.addEventListener("click", function (e) {
			e.preventDefault();
			document.getElementById("sel-scope").value = "query";
			boxes().forEach(function (b) { b.checked = true; });
			showSelected();
		});
	}
	if (grid) {
		grid.addEventListener("click", function (e) {
			var b = e.target;
			if (!b.matches || !b.matches("input[name=ids]")) return;
			if (e.shiftKey && lastBox && lastBox !== b) {
				var all = boxes(), i = all.indexOf(lastBox), j = all.indexOf(b);
				var lo = Math.min(i, j), hi = Math.max(i, j);
				for (var k = lo; k <= hi; k++) all[k].checked = b.checked;
			}
			lastBox = b;
			showSelected();
		});
		grid.addEventListener("change", showSelected);
		showSelected();
	}
	if (selection) {
		selection.addEventListener("submit", function (e) {
			var action = e.submitter ? e.submitter.value : "";
			var n = boxes().filter(function (b) { return b.checked; }).length;
			var scope = document.getElementById("sel-scope");
			if (scope && scope.value === "query") n = parseInt(selection.getAttribute("data-total"), 10) || n;
			if (action === "select-all") return;
			if (n === 0) {
				e.preventDefault();
				var c = document.getElementById("selected-count");
				if (c) c.textContent = tx("Select one or more assets first.");
				return;
			}
			if (action === "delete" && !window.confirm(txn(n, "Move %d asset to the trash?", "Move %d assets to the trash?"))) {
				e.preventDefault();
			}
		});
	}

	// ---- keyboard moves in the grid: arrows, Enter opens, Space selects

	function links() { return grid ? Array.prototype.slice.call(grid.querySelectorAll("a.open")) : []; }
	function columns(ls) {
		if (grid.tagName !== "UL" || ls.length === 0) return 1;
		var top = ls[0].getBoundingClientRect().top, n = 0;
		for (var i = 0; i < ls.length && Math.abs(ls[i].getBoundingClientRect().top - top) < 2; i++) n++;
		return Math.max(n, 1);
	}
	if (grid) {
		grid.addEventListener("keydown", function (e) {
			var ls = links(), i = ls.indexOf(document.activeElement);
			if (i < 0) {
				var box = document.activeElement;
				if (box && box.matches && box.matches("input[name=ids]")) {
					var tile = box.closest(".tile");
					i = ls.indexOf(tile && tile.querySelector("a.open"));
				}
			}
			if (i < 0) return;
			var cols = columns(ls), to = -1;
			switch (e.key) {
			case "ArrowRight": to = i + 1; break;
			case "ArrowLeft": to = i - 1; break;
			case "ArrowDown": to = i + cols; break;
			case "ArrowUp": to = i - cols; break;
			case "Home": to = 0; break;
			case "End": to = ls.length - 1; break;
			case " ":
				if (document.activeElement === ls[i]) {
					e.preventDefault();
					var b = ls[i].closest(".tile").querySelector("input[name=ids]");
					if (e.shiftKey && lastBox && lastBox !== b) {
						b.checked = !b.checked;
						var all = boxes(), x = all.indexOf(lastBox), y = all.indexOf(b);
						for (var k = Math.min(x, y); k <= Math.max(x, y); k++) all[k].checked = b.checked;
					} else {
						b.checked = !b.checked;
					}
					lastBox = b;
					showSelected();
				}
				return;
			default:
				return;
			}
			if (to >= 0 && to < ls.length) {
				e.preventDefault();
				ls[to].focus();
			}
		});
	}

	// ---- thumbnails that arrive as processing finishes

	var polling = false;
	function pending() {
		return Array.prototype.slice.call(document.querySelectorAll("[data-pending=pending]"));
	}
	function idOf(el) {
		var t = el.closest("[data-id]");
		return t ? t.getAttribute("data-id") : null;
	}
	function poll(delay) {
		if (polling) return;
		var els = pending();
		if (els.length === 0) return;
		polling = true;
		window.setTimeout(function () {
			var ids = els.map(idOf).filter(Boolean);
			fetch("/status?ids=" + encodeURIComponent(ids.join(",")), { credentials: "same-origin" })
				.then(function (r) { return r.ok ? r.json() : {}; })
				.then(function (states) {
					polling = false;
					els.forEach(function (el) {
						var st = states[idOf(el)];
						if (!st || st.processing === "pending") return;
						if (st.processing === "done" && st.thumb) {
							if (el.classList.contains("big")) { window.location.reload(); return; }
							var img = document.createElement("img");
							img.setAttribute("src", st.thumb);
							img.setAttribute("srcset", st.srcset);
							var list = grid && grid.tagName === "TABLE";
							img.setAttribute("sizes", list ? "48px" : "(max-width: 40rem) 45vw, 160px");
							img.setAttribute("width", list ? "48" : "160");
							img.setAttribute("height", list ? "48" : "160");
							img.setAttribute("alt", "");
							el.replaceWith(img);
						} else {
							el.setAttribute("data-pending", st.processing);
						}
					});
					poll(Math.min(delay * 1.5, 5000));
				}, function () { polling = false; poll(5000); });
		}, delay);
	}
	poll(1000);

	// A collection's order by dragging: the Up and Down buttons do it
	// without a script; this sends the whole order after a drop, which the
	// page offers only when every asset of the set is on it.
	var order = document.querySelector("ol.reorder[data-order]");
	if (order) {
		var dragged = null;
		order.addEventListener("dragstart", function (e) {
			dragged = e.target.closest ? e.target.closest("li.tile") : null;
			if (dragged && e.dataTransfer) e.dataTransfer.effectAllowed = "move";
		});
		order.addEventListener("dragover", function (e) {
			if (!dragged) return;
			e.preventDefault();
			var over = e.target.closest ? e.target.closest("li.tile") : null;
			if (!over || over === dragged) return;
			var r = over.getBoundingClientRect();
			var after = (e.clientY - r.top) > r.height / 2 || (e.clientX - r.left) > r.width / 2;
			order.insertBefore(dragged, after ? over.nextSibling : over);
		});
		order.addEventListener("drop", function (e) {
			if (!dragged) return;
			e.preventDefault();
			dragged = null;
			var ids = [];
			order.querySelectorAll("li.tile").forEach(function (li) { ids.push(li.getAttribute("data-id")); });
			var body = new URLSearchParams();
			body.set("csrf", order.getAttribute("data-csrf"));
			body.set("asset_ids", ids.join(","));
			var status = document.getElementById("order-status");
			if (status) status.textContent = tx("Saving the order…");
			fetch(order.getAttribute("data-order"), {method: "POST", body: body, credentials: "same-origin"})
				.then(function (res) {
					if (!res.ok) { window.location.reload(); return; }
					if (status) status.textContent = tx("Order saved.");
				}, function () { window.location.reload(); });
		});
		order.addEventListener("dragend", function () { dragged = null; });
	}

	// ---- uploads: drop anywhere, or pick; one progress bar per file

	var form = document.getElementById("upload");
	if (!form) return;
	var list = document.getElementById("uploads");
	var picker = document.getElementById("upload-files");
	var csrf = form.querySelector("input[name=csrf]").value;
	var queue = [], running = 0, maxRunning = 3;

	// ---- the tray: "12 of 52 done", the list folded under it

	var tray = document.getElementById("upload-tray");
	var summary = document.getElementById("tray-summary");
	var items = [];
	function tally() {
		var done = 0, failedN = 0, dups = 0;
		items.forEach(function (it) {
			if (it.li.classList.contains("ok")) done++;
			if (it.li.classList.contains("failed-item")) failedN++;
			if (it.li.classList.contains("dup") && !it.decided) dups++;
		});
		if (!summary) return;
		var text = tx("%d of %d done", done, items.length);
		if (failedN) text += tx(", %d failed", failedN);
		if (dups) text += tx(", %d already in the library", dups);
		summary.textContent = text;
	}
	// unfinished counts the files still to send: waiting, sending or
	// paused. Leaving the page would drop them, so the browser asks first.
	function unfinished() {
		return items.filter(function (it) {
			return !it.li.classList.contains("ok") && !it.li.classList.contains("failed-item");
		}).length;
	}
	window.addEventListener("beforeunload", function (e) {
		if (unfinished() === 0) return;
		e.preventDefault();
		e.returnValue = "";
	});

	// A file the library held already (the same SHA-256) is said so once
	// sent: the server hashes every file as it streams in, so the answer
	// costs the browser nothing, whatever the size, and needs no secure
	// context. "Skip" moves the new copy to the trash; "Keep both" keeps it.
	function checkDuplicate(item, id) {
		fetch("/assets/" + encodeURIComponent(id) + "/duplicate", { credentials: "same-origin", headers: { "Accept": "application/json" } })
			.then(function (res) { return res.status === 200 ? res.json() : null; })
			.then(function (orig) {
				if (!orig || !orig.id) return;
				item.li.classList.add("dup");
				item.state.textContent = "";
				var text = document.createElement("span");
				text.textContent = tx("the library has this file already:") + " ";
				var link = document.createElement("a");
				link.href = orig.url; link.textContent = orig.title;
				var keep = document.createElement("button");
				keep.type = "button"; keep.className = "keep"; keep.textContent = tx("Keep both");
				var skip = document.createElement("button");
				skip.type = "button"; skip.className = "skip"; skip.textContent = tx("Skip");
				item.state.appendChild(text); item.state.appendChild(link);
				item.li.appendChild(keep); item.li.appendChild(skip);
				var decided = function (msg) {
					item.decided = true;
					keep.remove(); skip.remove();
					item.state.textContent = msg;
					tally();
				};
				keep.addEventListener("click", function () { decided(tx("done: kept both")); });
				skip.addEventListener("click", function () {
					var body = new URLSearchParams();
					body.set("csrf", csrf);
					fetch("/assets/" + encodeURIComponent(id) + "/delete", { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
						.then(function (res) {
							if (res.type !== "opaqueredirect" && !res.ok) { item.state.textContent = tx("could not skip: status %d", res.status); return; }
							var tile = grid && grid.querySelector('[data-id="' + String(id).replace(/[^0-9]/g, "") + '"]');
							if (tile) tile.remove();
							item.li.classList.add("skipped");
							decided(tx("skipped: the copy went to the trash"));
						}, function () { item.state.textContent = tx("could not skip: the connection broke"); });
				});
				tally();
			}, function () {});
	}

	function addTile(a) {
		if (!grid) return;
		var empty = document.querySelector(".empty");
		if (empty) empty.remove();
		var box = document.createElement("input");
		box.type = "checkbox"; box.name = "ids"; box.value = a.id;
		box.setAttribute("form", "selection");
		box.setAttribute("aria-label", tx("Select %s", a.title));
		var link = document.createElement("a");
		link.className = "open"; link.href = a.url;
		var thumb = document.createElement("span");
		var ph = document.createElement("span");
		ph.className = "placeholder";
		ph.setAttribute("data-pending", a.processing);
		ph.textContent = kindText(a.kind);
		var title = document.createElement("span");
		title.className = "title"; title.textContent = a.title;
		var el;
		if (grid.tagName === "UL") {
			el = document.createElement("li");
			thumb.className = "thumb";
			thumb.appendChild(ph);
			link.appendChild(thumb); link.appendChild(title);
			var type = document.createElement("span");
			type.className = "type"; type.textContent = kindText(a.kind);
			el.appendChild(box); el.appendChild(link); el.appendChild(type);
		} else {
			el = document.createElement("tr");
			var cells = [box, ph, link];
			link.textContent = a.title;
			cells.forEach(function (c, i) {
				var td = document.createElement("td");
				if (i === 1) td.className = "mini";
				td.appendChild(c); el.appendChild(td);
			});
		}
		el.className = "tile";
		el.setAttribute("data-id", a.id);
		var parent = grid.tagName === "UL" ? grid : grid.querySelector("tbody");
		parent.insertBefore(el, parent.firstChild);
		var count = document.getElementById("count");
		if (count) {
			var n = (parseInt(count.textContent, 10) || 0) + 1;
			count.textContent = txn(n, "%d asset", "%d assets");
		}
		poll(800);
	}

	// Each file goes by the tus protocol (tus-js-client, static/tus.min.js)
	// to /uploads/tus/, in 64 MiB pieces: a broken connection resumes
	// where it stopped, and so does the same file added again after a
	// reload (tus-js-client keeps each upload's URL in localStorage,
	// keyed by the file's name, type, size and date). Without the client
	// (an old browser), the whole file goes to /upload as before.
	var chunk = 64 * 1024 * 1024;

	function speedText(bytesPerSec) {
		var units = ["B/s", "KB/s", "MB/s", "GB/s"], i = 0;
		while (bytesPerSec >= 1000 && i < units.length - 1) { bytesPerSec /= 1000; i++; }
		return (i ? bytesPerSec.toFixed(1) : Math.round(bytesPerSec)) + " " + units[i];
	}

	function finish(item, doc) {
		running--;
		item.active = false;
		item.pause.hidden = true;
		item.bar.value = item.bar.max;
		item.state.className = "";
		item.li.classList.add("ok");
		if (doc && doc.assets) { // an archive unpacked
			doc.assets.forEach(addTile);
			item.state.textContent = txn(doc.assets.length, "done: %d file", "done: %d files") +
				(doc.skipped.length ? tx(", %d skipped (already held, empty or system files)", doc.skipped.length) : "");
		} else {
			item.state.textContent = tx("done");
			if (doc) { addTile(doc); checkDuplicate(item, doc.id); }
		}
		tally();
		next();
	}

	function failed(item, message) {
		running--;
		item.active = false;
		item.pause.hidden = true;
		item.state.textContent = tx("failed: %s", message);
		item.state.className = "failed";
		item.li.classList.add("failed-item");
		item.retry.hidden = false;
		tally();
		next();
	}

	function send(item) {
		running++;
		item.active = true;
		item.bar.max = item.file.size || 1;
		item.state.textContent = tx("uploading");
		item.state.className = "";
		item.li.classList.remove("failed-item");
		tally();
		item.retry.hidden = true;
		item.pause.hidden = false;
		item.pause.textContent = tx("Pause");
		var tags = (document.getElementById("upload-tags") || {}).value || "";
		if (!window.tus || !window.tus.isSupported) { sendWhole(item, tags); return; }
		if (!item.upload) {
			var meta = { filename: item.file.name, filetype: item.file.type || "", asset: "true" };
			if (tags) meta.tags = tags;
			if (item.path) meta.path = item.path;
			if (unpacks(item)) {
				meta.unpack = "true";
				if (checked("upload-path-tags")) meta.path_tags = "true";
			}
			item.upload = new window.tus.Upload(item.file, {
				endpoint: "/uploads/tus/",
				chunkSize: chunk,
				retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
				headers: { "X-CSRF-Token": csrf },
				metadata: meta,
				removeFingerprintOnSuccess: true,
				onProgress: function (sent, total) {
					item.bar.max = total || 1;
					item.bar.value = sent;
					var now = Date.now();
					if (!item.t0) { item.t0 = now; item.b0 = sent; }
					var secs = (now - item.t0) / 1000;
					if (secs > 0.5) item.state.textContent = Math.floor(100 * sent / (total || 1)) + "% · " + speedText((sent - item.b0) / secs);
				},
				onAfterResponse: function (req, res) {
					var id = res.getHeader("X-Damask-Asset-Id");
					if (id) item.assetID = id;
					var report = res.getHeader("X-Damask-Unpack-Location");
					if (report) item.report = report;
				},
				onSuccess: function () {
					if (item.report) { // an archive unpacked: its report, as /upload answers it
						fetch(item.report, { credentials: "same-origin", headers: { "Accept": "application/json" } })
							.then(function (res) { return res.json(); })
							.then(function (doc) {
								if (doc && doc.assets) finish(item, doc);
								else failed(item, doc && doc.error ? doc.error : tx("the report could not be read"));
							}, function () { failed(item, tx("the report could not be read")); });
						return;
					}
					var id = item.assetID;
					finish(item, id ? { id: id, title: item.file.name, kind: "file", url: "/assets/" + id, processing: "pending" } : null);
				},
				onError: function (err) {
					var res = err && err.originalResponse;
					if (res && res.getStatus() === 403 && !item.upload.url) {
						// A file store without resumable uploads (S3):
						// the whole file in one request.
						item.upload = null;
						sendWhole(item, tags);
						return;
					}
					var text = res && res.getBody ? res.getBody() : "";
					failed(item, text || (res ? tx("status %d", res.getStatus()) : tx("the connection broke")));
				}
			});
			item.upload.findPreviousUploads().then(function (previous) {
				if (previous.length > 0) {
					item.upload.resumeFromPreviousUpload(previous[0]);
					item.state.textContent = tx("resuming");
				}
				item.upload.start();
			}, function () { item.upload.start(); });
			return;
		}
		item.t0 = 0;
		item.upload.start();
	}

	// pause stops a file's upload where it is (the server keeps what
	// arrived); resuming asks the server for its offset and goes on.
	function pause(item) {
		if (item.active) {
			item.upload.abort();
			running--;
			item.active = false;
			item.pause.textContent = tx("Resume");
			item.state.textContent = tx("paused");
			next();
		} else {
			item.pause.hidden = true;
			queue.unshift(item);
			next();
		}
	}

	// sendWhole is the upload of a browser without tus: one request.
	function sendWhole(item, tags) {
		item.pause.hidden = true;
		var url = "/upload?filename=" + encodeURIComponent(item.file.name) + "&tags=" + encodeURIComponent(tags);
		if (item.path) url += "&path=" + encodeURIComponent(item.path);
		if (unpacks(item)) {
			url += "&unpack=1";
			if (checked("upload-path-tags")) url += "&path_tags=1";
		}
		var xhr = new XMLHttpRequest();
		xhr.open("POST", url);
		xhr.setRequestHeader("X-CSRF-Token", csrf);
		xhr.upload.addEventListener("progress", function (e) {
			if (e.lengthComputable) { item.bar.max = e.total; item.bar.value = e.loaded; }
		});
		xhr.addEventListener("loadend", function () {
			var doc = null;
			try { doc = JSON.parse(xhr.responseText); } catch (err) { doc = null; }
			if (xhr.status === 201 && doc) finish(item, doc);
			else failed(item, doc && doc.error ? doc.error : (xhr.status ? tx("status %d", xhr.status) : tx("the connection broke")));
		});
		xhr.send(item.file);
	}

	function next() {
		while (running < maxRunning && queue.length > 0) send(queue.shift());
	}

	function checked(id) {
		var el = document.getElementById(id);
		return !!(el && el.checked);
	}

	// unpacks tells whether a file is a zip archive to unpack (the
	// Unpack box ticked), as the API's unpack=true.
	function unpacks(item) {
		return checked("upload-unpack") && /\.zip$/i.test(item.file.name);
	}

	// folderOf is the folder of a relative path ("a/b/c.jpg" -> "a/b").
	function folderOf(rel) {
		var i = (rel || "").lastIndexOf("/");
		return i > 0 ? rel.slice(0, i) : "";
	}

	// add queues files; paths, when given, are their relative paths (from
	// a dropped folder), else a picked folder's webkitRelativePath.
	function add(files, paths) {
		Array.prototype.forEach.call(files, function (f, i) {
			var rel = paths ? paths[i] : f.webkitRelativePath;
			var li = document.createElement("li");
			var name = document.createElement("span");
			name.textContent = rel || f.name;
			var bar = document.createElement("progress");
			bar.setAttribute("aria-label", tx("Upload of %s", f.name));
			var state = document.createElement("span");
			state.textContent = tx("waiting");
			var pauseButton = document.createElement("button");
			pauseButton.type = "button"; pauseButton.textContent = tx("Pause"); pauseButton.hidden = true;
			pauseButton.className = "pause";
			var retry = document.createElement("button");
			retry.type = "button"; retry.textContent = tx("Retry"); retry.hidden = true;
			li.appendChild(name); li.appendChild(bar); li.appendChild(state); li.appendChild(retry); li.appendChild(pauseButton);
			list.appendChild(li);
			var item = { file: f, path: folderOf(rel), li: li, bar: bar, state: state, pause: pauseButton, retry: retry };
			items.push(item);
			pauseButton.addEventListener("click", function () { pause(item); });
			retry.addEventListener("click", function () { queue.push(item); next(); });
			queue.push(item);
		});
		// The tray shows, open, when files come; once folded it stays so.
		if (tray && files.length > 0 && tray.hidden) { tray.hidden = false; tray.open = true; }
		tally();
		next();
	}

	form.addEventListener("submit", function (e) {
		e.preventDefault();
		add(picker.files);
		picker.value = "";
	});
	picker.addEventListener("change", function () {
		add(picker.files);
		picker.value = "";
	});
	var folderPicker = document.getElementById("upload-folder");
	if (folderPicker) {
		folderPicker.addEventListener("change", function () {
			add(folderPicker.files);
			folderPicker.value = "";
		});
	}

	// walk reads a dropped folder to its files, calling done with the
	// files and their paths; readEntries answers in batches until empty.
	function walk(entries, done) {
		var files = [], paths = [], pending = 0;
		function finish() { if (--pending === 0) done(files, paths); }
		function visit(entry) {
			pending++;
			if (entry.isFile) {
				entry.file(function (f) {
					files.push(f); paths.push(entry.fullPath.replace(/^\//, "")); finish();
				}, finish);
			} else if (entry.isDirectory) {
				var reader = entry.createReader();
				var more = function () {
					reader.readEntries(function (batch) {
						if (batch.length === 0) { finish(); return; }
						batch.forEach(visit);
						more();
					}, finish);
				};
				more();
			} else {
				finish();
			}
		}
		pending++;
		entries.forEach(visit);
		finish();
	}
	var depth = 0;
	document.addEventListener("dragenter", function (e) {
		if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
			depth++;
			document.body.classList.add("dragging");
		}
	});
	document.addEventListener("dragleave", function () {
		depth = Math.max(0, depth - 1);
		if (depth === 0) document.body.classList.remove("dragging");
	});
	document.addEventListener("dragover", function (e) { e.preventDefault(); });
	document.addEventListener("drop", function (e) {
		e.preventDefault();
		depth = 0;
		document.body.classList.remove("dragging");
		if (!e.dataTransfer) return;
		var items = e.dataTransfer.items, entries = [];
		if (items && items.length && items[0].webkitGetAsEntry) {
			Array.prototype.forEach.call(items, function (it) {
				var entry = it.kind === "file" && it.webkitGetAsEntry();
				if (entry) entries.push(entry);
			});
		}
		if (entries.some(function (en) { return en.isDirectory; })) {
			walk(entries, add);
		} else if (e.dataTransfer.files.length > 0) {
			add(e.dataTransfer.files);
		}
	});
})();

// An Inbox's form (web/templates/inbox.html): the files go in one request,
// as without the script, so that the Inbox's limits and the receipt cover
// the whole submission; the script adds a progress bar per file (read
// from the request's progress, file by file in order) and shows the
// receipt the server answers as JSON. A resumable upload would need a
// session the sender does not have.
(function () {
	var form = document.getElementById("inbox-form");
	if (!form || !window.FormData || !window.XMLHttpRequest) return;
	var picker = document.getElementById("inbox-files");
	var list = document.getElementById("inbox-progress");
	var send = document.getElementById("inbox-send");

	function sizeText(n) {
		var units = ["bytes", "KB", "MB", "GB", "TB"], i = 0;
		while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
		return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
	}

	function showError(text) {
		var p = document.getElementById("inbox-error");
		if (!p) {
			p = document.createElement("p");
			p.id = "inbox-error"; p.className = "error"; p.setAttribute("role", "alert");
			form.parentNode.insertBefore(p, form);
		}
		p.textContent = text;
	}

	function showReceipt(doc) {
		var section = document.getElementById("inbox-receipt");
		var body = document.getElementById("inbox-receipt-files");
		doc.files.forEach(function (f) {
			var tr = document.createElement("tr");
			var name = document.createElement("td"); name.className = "receipt-name"; name.textContent = f.filename;
			var size = document.createElement("td"); size.textContent = tx("%s (%d bytes)", sizeText(f.size), f.size);
			var sum = document.createElement("td"); var code = document.createElement("code");
			code.className = "sha"; code.textContent = f.sha256; sum.appendChild(code);
			tr.appendChild(name); tr.appendChild(size); tr.appendChild(sum);
			body.appendChild(tr);
		});
		document.getElementById("inbox-receipt-note").textContent = txn(doc.files.length, "%d file arrived.", "%d files arrived.") + " " +
			tx("Keep this receipt: the SHA-256 of each file tells that it arrived as sent.");
		form.hidden = true;
		var old = document.getElementById("inbox-error");
		if (old) old.remove();
		section.hidden = false;
		section.setAttribute("role", "status");
	}

	form.addEventListener("submit", function (e) {
		if (!form.checkValidity()) return;
		e.preventDefault();
		var files = Array.prototype.slice.call(picker.files);
		list.textContent = "";
		var bars = files.map(function (f) {
			var li = document.createElement("li");
			var name = document.createElement("span"); name.textContent = f.name;
			var bar = document.createElement("progress"); bar.max = Math.max(f.size, 1); bar.value = 0;
			bar.setAttribute("aria-label", tx("Upload of %s", f.name));
			li.appendChild(name); li.appendChild(bar); list.appendChild(li);
			return { size: Math.max(f.size, 1), bar: bar };
		});
		var xhr = new XMLHttpRequest();
		xhr.open("POST", form.getAttribute("action"));
		xhr.setRequestHeader("Accept", "application/json");
		xhr.upload.addEventListener("progress", function (ev) {
			if (!ev.lengthComputable) return;
			// The body carries the fields, then the files in order: each
			// bar takes its share of the bytes sent, as far as they go.
			var total = bars.reduce(function (s, b) { return s + b.size; }, 0);
			var sent = ev.loaded * total / ev.total;
			bars.forEach(function (b) { b.bar.value = Math.min(b.size, Math.max(0, sent)); sent -= b.size; });
		});
		xhr.addEventListener("load", function () {
			send.disabled = false;
			var doc = null;
			try { doc = JSON.parse(xhr.responseText); } catch (err) { doc = null; }
			if (xhr.status === 201 && doc && doc.files) {
				bars.forEach(function (b) { b.bar.value = b.size; });
				showReceipt(doc);
				return;
			}
			showError(doc && doc.error ? doc.error : tx("The files were not received (status %d).", xhr.status));
		});
		xhr.addEventListener("error", function () {
			send.disabled = false;
			showError(tx("The connection broke; nothing was kept. Try again."));
		});
		send.disabled = true;
		xhr.send(new FormData(form));
	});
})();
