// The graph explorer: draws a topic's neighbourhood with cytoscape (served from this
// site) and opens a node's page when it is clicked. The lists in the page stand in
// when JavaScript is off.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape !== "function") { return; }

  fetch(box.dataset.src, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var elements = [];
      data.nodes.forEach(function (n) {
        elements.push({ group: "nodes", data: { id: n.id, label: n.label, url: n.url,
          type: n.type, center: n.center ? "yes" : "no", ring: n.ring } });
      });
      data.edges.forEach(function (e) {
        elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target,
          kind: e.kind, picked: e.winner ? "yes" : "no" } });
      });
      var cy = cytoscape({
        container: box,
        elements: elements,
        // rings: the topic in the middle, what it is compared with around it, the rest outside
        layout: { name: "concentric", animate: false, fit: true, padding: 30,
                  minNodeSpacing: 46, startAngle: Math.PI / 2,
                  concentric: function (node) { return 3 - node.data("ring"); },
                  levelWidth: function () { return 1; } },
        style: [
          { selector: "node", style: { "label": "data(label)", "font-size": 11,
            "text-valign": "bottom", "text-margin-y": 4, "color": "#1b2430",
            "background-color": "#0a5bb5", "width": 18, "height": 18 } },
          { selector: "node[type = 'tag']", style: { "shape": "round-rectangle",
            "background-color": "#9aa6b5", "width": 14, "height": 14 } },
          { selector: "node[center = 'yes']", style: { "background-color": "#12703a",
            "width": 30, "height": 30, "font-weight": "bold", "font-size": 13 } },
          { selector: "edge", style: { "width": 1.5, "line-color": "#c3cad3",
            "curve-style": "bezier" } },
          { selector: "edge[kind = 'comparison']", style: { "line-color": "#6a7a8c", "width": 2 } },
          { selector: "edge[picked = 'yes']", style: { "target-arrow-shape": "triangle",
            "target-arrow-color": "#6a7a8c" } },
          { selector: "edge[kind = 'related']", style: { "line-style": "dashed" } }
        ]
      });
      cy.on("tap", "node", function (evt) {
        window.location.href = evt.target.data("url");
      });
      window.pickgraphGraph = cy;  // for people (and tests) poking at the page
      box.setAttribute("data-ready", "yes");
    });
})();
