"""Photos of a weapon: checked by content (Pillow), size limited, kept under
UPLOAD_FOLDER/weapons (never under static/), served only after the scoping check."""

import io
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select

from registry.audit.service import record
from registry.auth.models import User
from registry.auth.roles import Permission
from registry.errors import DomainError, NotAllowed
from registry.extensions import db, utcnow
from registry.weapons.models import Weapon, WeaponChange, WeaponPhoto

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


def photo_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "weapons"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photo_path(photo: WeaponPhoto, thumbnail: bool = False) -> Path:
    name = photo.stored_name
    if thumbnail:
        name = name.rsplit(".", 1)[0] + "-thumb.jpg"
    return photo_folder() / name


def add_photo(actor: User, weapon: Weapon, data: bytes, filename: str, caption: str | None = None,
              shareable: bool = False) -> WeaponPhoto:
    """Keep an image of the record; refuse anything that is not a JPEG, PNG or WebP image,
    a file larger than 5 MB, or a seventh photo."""
    if not actor.can(Permission.WRITE_RECORDS) or weapon.agency_id != actor.agency_id or weapon.is_deleted:
        raise NotAllowed(_l("Only the agency that recorded this weapon may add photos."))
    if not data:
        raise DomainError(_l("Choose a photo to send."), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_l("The photo is larger than 5 MB."), field="photo")
    count = db.session.scalar(select(func.count(WeaponPhoto.id)).where(WeaponPhoto.weapon_id == weapon.id))
    if count >= MAX_PHOTOS:
        raise DomainError(_l("A record holds at most %(count)d photos.", count=MAX_PHOTOS), field="photo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            if image_format not in FORMATS or width * height > MAX_PIXELS:
                raise DomainError(_l("This file is not a JPEG, PNG or WebP photo."), field="photo")
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            thumbnail = image.convert("RGB")
            thumbnail.thumbnail(THUMBNAIL_SIZE)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(_l("This file is not a JPEG, PNG or WebP photo."), field="photo") from None
    content_type, extension = FORMATS[image_format]
    photo = WeaponPhoto(weapon_id=weapon.id, stored_name=f"{secrets.token_hex(16)}.{extension}",
                        original_name=(filename or "photo")[:255], content_type=content_type,
                        size=len(data), width=width, height=height,
                        caption=(caption or "").strip()[:200] or None, shareable=bool(shareable),
                        uploaded_by_id=actor.id,
                        uploaded_at=utcnow())
    path = photo_path(photo)
    path.write_bytes(data)
    thumbnail.save(photo_path(photo, thumbnail=True), "JPEG", quality=80)
    db.session.add(photo)
    db.session.flush()
    db.session.add(WeaponChange(weapon_id=weapon.id, user_id=actor.id, changed_at=utcnow(),
                                version=weapon.version, field="photo", old_value=None,
                                new_value=photo.original_name))
    record("weapon.photo_add", "weapon", weapon.id, {"photo": photo.id, "name": photo.original_name,
                                                     "shareable": photo.shareable}, user=actor)
    return photo


def set_shareable(actor: User, photo: WeaponPhoto, shareable: bool) -> None:
    """Mark a photo as seen, or not, by the other states the record is shared with."""
    weapon = photo.weapon
    if not actor.can(Permission.WRITE_RECORDS) or weapon.agency_id != actor.agency_id or weapon.is_deleted:
        raise NotAllowed(_l("Only the agency that recorded this weapon may change its photos."))
    if photo.shareable == shareable:
        return
    photo.shareable = shareable
    db.session.add(WeaponChange(weapon_id=weapon.id, user_id=actor.id, changed_at=utcnow(),
                                version=weapon.version, field="photo_shareable",
                                old_value=photo.original_name if not shareable else None,
                                new_value=photo.original_name if shareable else None))
    record("weapon.photo_share", "weapon", weapon.id, {"photo": photo.id, "shareable": shareable},
           user=actor)
