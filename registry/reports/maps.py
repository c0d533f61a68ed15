"""The map of the statistics: the state's first-level regions shaded by their count of
records, the points where records carry coordinates, on the base map shipped in
registry/reports/data (Natural Earth, public domain: see data/SOURCES.md). Drawn on the
server as SVG, readable without JavaScript and printable; the numbers are in the table
beside it.

Functions take plain values (the figures of `service.map_figures`) and return markup.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

BASE_MAP = Path(__file__).with_name("data") / "base_map.geojson"
WIDTH = 600
MAX_HEIGHT = 560
MARGIN = 0.06  # of the state's extent, on each side
# Shades of the regions, from the fewest records to the most (no record: NO_RECORD).
SHADES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_RECORD = "#f4f6f8"
LAND = "#ece8df"
WATER = "#dce9f2"


@dataclass(frozen=True)
class Shape:
    code: str          # ISO 3166-2 code of a region, ISO 3166-1 code of a neighbour
    country: str
    kind: str          # "region" or "country"
    polygons: tuple    # of polygons, each a tuple of rings of (longitude, latitude)
    point: tuple | None = None  # a region Natural Earth draws within another: its main town


@lru_cache(maxsize=1)
def shapes() -> tuple[Shape, ...]:
    """The shapes of the base map, read once."""
    found = []
    for feature in json.loads(BASE_MAP.read_text(encoding="utf-8"))["features"]:
        geometry, properties = feature["geometry"], feature["properties"]
        if geometry["type"] == "Point":
            polygons, point = (), tuple(geometry["coordinates"])
        else:
            raw = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            polygons = tuple(tuple(tuple(map(tuple, ring)) for ring in polygon) for polygon in raw)
            point = None
        found.append(Shape(properties["code"], properties["country"], properties["kind"], polygons, point))
    return tuple(found)


def drawn_regions(country_code: str) -> dict[str, str]:
    """ISO 3166-2 code -> "area" or "point": how the base map draws each region of a state."""
    return {shape.code: "point" if shape.point else "area" for shape in shapes()
            if shape.kind == "region" and shape.country == country_code}


@dataclass(frozen=True)
class _Projection:
    """Longitude and latitude to the picture's x and y: equirectangular, the longitudes
    narrowed by the cosine of the middle latitude (the states drawn lie near the equator)."""

    west: float
    north: float
    scale: float
    narrowing: float
    width: int
    height: int

    def __call__(self, longitude: float, latitude: float) -> tuple[float, float]:
        return ((longitude - self.west) * self.narrowing * self.scale, (self.north - latitude) * self.scale)


def _projection(states: tuple[str, ...]) -> _Projection | None:
    points = [(longitude, latitude) for shape in shapes() if shape.kind == "region" and shape.country in states
              for polygon in shape.polygons for longitude, latitude in polygon[0]]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    margin = MARGIN * max(east - west, north - south)
    west, east, south, north = west - margin, east + margin, south - margin, north + margin
    narrowing = math.cos(math.radians((north + south) / 2))
    scale = min(WIDTH / ((east - west) * narrowing), MAX_HEIGHT / (north - south))
    return _Projection(west, north, scale, narrowing, round((east - west) * narrowing * scale),
                       round((north - south) * scale))


def _path(projection: _Projection, polygons) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            coordinates = [projection(longitude, latitude) for longitude, latitude in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in coordinates) + "Z")
    return "".join(parts)


@lru_cache(maxsize=32)
def _outlines(states: tuple[str, ...]) -> tuple[_Projection | None, tuple, dict]:
    """The projection for these states, the neighbours' and other states' paths, and the
    path (or the point) of each region of these states: computed once per set of states."""
    projection = _projection(states)
    if projection is None:
        return None, (), {}
    around, regions = [], {}
    for shape in shapes():
        if shape.kind == "region" and shape.country in states:
            regions[shape.code] = projection(*shape.point) if shape.point else _path(projection, shape.polygons)
        elif shape.polygons:
            around.append(_path(projection, shape.polygons))
    return projection, tuple(around), regions


def shade_classes(counts: list[int]) -> list[tuple[int, int]]:
    """Up to five classes (lowest, highest) of equal width from the smallest count above
    zero to the largest, so that regions of close counts still read apart."""
    counted = [count for count in counts if count > 0]
    if not counted:
        return []
    smallest, largest = min(counted), max(counted)
    steps = min(len(SHADES), largest - smallest + 1)
    width = (largest - smallest + 1) / steps
    classes, low = [], smallest
    for index in range(steps):
        high = largest if index == steps - 1 else smallest + math.ceil(width * (index + 1)) - 1
        if high >= low:
            classes.append((low, high))
            low = high + 1
    return classes


def _shade(count: int, classes: list[tuple[int, int]]) -> str:
    if not count:
        return NO_RECORD
    for index, (_low, high) in enumerate(classes):
        if count <= high:
            return SHADES[index + len(SHADES) - len(classes)]
    return SHADES[-1]


def draw(states: tuple[str, ...], regions: list[dict], points: list[dict], texts: dict,
         link=None) -> Markup | None:
    """The SVG of the map of `states` (ISO codes): each region shaded by its count
    (`regions`: [{"key", "label", "count"}]), `points` ([{"latitude", "longitude", "count"}])
    as circles growing with their count, a legend. `texts` holds the translated words
    ("title", "legend", "no_record"; "records" and "points" as functions of a count); `link(code)` the address a
    region leads to. None when the base map has none of these states."""
    projection, around, paths = _outlines(tuple(sorted(states)))
    if projection is None:
        return None
    counts = {row["key"]: row for row in regions if row.get("key")}
    classes = shade_classes([row["count"] for row in counts.values()])
    legend_height = 26
    height = projection.height + legend_height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {projection.width} {height}" '
           f'width="{projection.width}" height="{height}" role="img" aria-labelledby="map-title">',
           f'<title id="map-title">{escape(texts["title"])}</title>',
           f'<rect width="{projection.width}" height="{projection.height}" fill="{WATER}"/>',
           f'<path d="{"".join(around)}" fill="{LAND}" stroke="#b5ad9e" stroke-width="0.6"/>']
    markers = []
    for code, shape in paths.items():
        row = counts.get(code, {"label": code, "count": 0})
        title = f'<title>{escape(row["label"])}: {escape(texts["records"](row["count"]))}</title>'
        if isinstance(shape, tuple):
            x, y = shape
            element = (f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                       f'fill="{_shade(row["count"], classes)}" stroke="#1d2733" stroke-width="1">{title}</rect>')
            target = markers
        else:
            element = (f'<path d="{shape}" fill="{_shade(row["count"], classes)}" stroke="#ffffff" '
                       f'stroke-width="1">{title}</path>')
            target = out
        if link is not None:
            element = f'<a href="{escape(link(code))}">{element}</a>'
        target.append(element)
    out.extend(markers)
    largest = max((point["count"] for point in points), default=0)
    for point in points:
        x, y = projection(point["longitude"], point["latitude"])
        if not (0 <= x <= projection.width and 0 <= y <= projection.height):
            continue
        radius = 1.5 + 6 * math.sqrt(point["count"] / largest)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#b3261e" fill-opacity="0.45" '
                   f'stroke="#7a1a14" stroke-width="0.6"><title>{escape(texts["points"](point["count"]))}</title></circle>')
    y = projection.height + 8
    out.append(f'<text x="4" y="{y + 11}" font-family="DejaVu Sans, sans-serif" font-size="11" '
               f'fill="#1d2733">{escape(texts["legend"])}</text>')
    x = 150
    for shade, label in [(NO_RECORD, texts["no_record"])] + [
            (_shade(high, classes), f"{low}" if low == high else f"{low}–{high}") for low, high in classes]:
        out.append(f'<rect x="{x}" y="{y}" width="14" height="12" fill="{shade}" stroke="#9aa5b1" '
                   f'stroke-width="0.5"/><text x="{x + 18}" y="{y + 11}" font-family="DejaVu Sans, sans-serif" '
                   f'font-size="11" fill="#1d2733">{escape(label)}</text>')
        x += 26 + 7 * len(label)
    out.append("</svg>")
    return Markup("".join(out))
